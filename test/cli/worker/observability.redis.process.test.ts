import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRunQueue } from '../../../src/queue/index.js';
import { startSimulator } from '../../../src/sim/index.js';
import { createScaledClock } from '../../../src/sim/time/clock.js';
import { scenarioMeta, simClient } from '../../helpers/sim.js';
import { uniqueQueueName } from '../../queue/fixture.js';
import { freePort, startCuttableProxy, startPrivateRedis } from '../../queue/redis-private.js';
import { cliEnv, killLeftovers, startCli } from '../run-cli.js';

// An operator's setup, with real parts: `runstate worker --metrics-port` against the simulator, on a private
// redis-server behind a proxy that can lose the network, scraped by a real Prometheus (Debian's package, run as a
// plain binary with a temporary config on a loopback port; .ci/run installs it).
const SPEED = 20;
const RUNSTATE_ROUTES = /\.(retrieve|cancel|submitToolOutputs)$/;

let cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});
afterAll(() => killLeftovers());

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < end) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not reached in ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

async function startPrometheus(target: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rs-prom-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: runstate\n    static_configs:\n      - targets: ['${target}']\n`,
  );
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  cleanup.push(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}`;
  await until(
    'prometheus ready',
    () => fetch(`${url}/-/ready`).then((r) => r.status),
    (s) => s === 200,
  );
  return url;
}

async function promValue(url: string, query: string): Promise<number | undefined> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  const first = body.data.result[0];
  return first ? Number(first.value[1]) : undefined;
}

describe('runstate worker --metrics-port, scraped by Prometheus', () => {
  it('exports the requests the simulator saw, and /readyz follows Redis', async () => {
    const redis = await startPrivateRedis();
    cleanup.push(() => redis.stop());
    const proxy = await startCuttableProxy(redis.port);
    cleanup.push(() => proxy.close());
    const origin = Date.now();
    const sim = await startSimulator({ clock: createScaledClock(SPEED, origin), seed: 9 });
    cleanup.push(() => sim.close());
    const client = simClient(sim);
    const name = uniqueQueueName('metrics');
    const connection = { host: '127.0.0.1', port: redis.port };
    const runs = await createRunQueue({ connection, name, now: () => sim.clock.now(), speed: SPEED });
    cleanup.push(() => runs.close());

    const metricsPort = await freePort();
    const worker = startCli(
      [
        'worker',
        '--redis',
        `redis://127.0.0.1:${proxy.port}`,
        '--name',
        name,
        '--base-url',
        sim.baseURL,
        '--speed',
        String(SPEED),
        '--origin',
        String(origin),
        '--metrics-port',
        String(metricsPort),
        '--log',
        'json',
      ],
      cliEnv({ OPENAI_API_KEY: 'sim' }),
    );
    cleanup.push(() => worker.child.kill('SIGKILL'));
    await worker.waitFor('stdout', /worker ready/, 30_000);
    const endpoint = `http://127.0.0.1:${metricsPort}`;
    expect((await fetch(`${endpoint}/healthz`)).status).toBe(200);
    expect((await fetch(`${endpoint}/readyz`)).status).toBe(200);
    const prometheus = await startPrometheus(`127.0.0.1:${metricsPort}`);

    const before = sim.stats();
    sim.setFaults({ rateLimit: { next: 2, routes: ['*.retrieve'], retryAfterMs: 500 } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await client.responses.create({
        model: 'gpt-4o-mini',
        input: 'hi',
        background: true,
        metadata: scenarioMeta({ outcome: 'completed', phases: { queued: 200, in_progress: 3000 } }),
      });
      ids.push(r.id);
      await runs.watch({ kind: 'response', id: r.id });
    }
    const finals = await Promise.all(ids.map((id) => runs.result({ kind: 'response', id })));
    expect(finals.every((s) => s.state === 'completed')).toBe(true);
    const after = sim.stats();
    let served = 0;
    for (const [route, stats] of Object.entries(after.requests.byRoute)) {
      if (RUNSTATE_ROUTES.test(route)) served += stats.total - (before.requests.byRoute[route]?.total ?? 0);
    }
    expect(after.rateLimited - before.rateLimited).toBe(2);

    // Prometheus finds, through its HTTP API, the count the simulator saw.
    const total = await until(
      'runstate_requests_total in Prometheus',
      () => promValue(prometheus, 'sum(runstate_requests_total)'),
      (v) => v === served,
    );
    expect(total).toBe(served);
    expect(await promValue(prometheus, 'sum(runstate_requests_total{outcome="429"})')).toBe(2);
    expect(await promValue(prometheus, 'sum(runstate_watches_ended_total{outcome="completed"})')).toBe(5);
    // One JSON line per 429 pause.
    const lines = worker.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; level: string });
    expect(lines.filter((l) => l.event === 'rate_limited')).toHaveLength(2);

    // Readiness follows Redis: unready while the network to it is cut, ready again after.
    await proxy.cut();
    await until(
      '/readyz 503 while Redis is cut',
      () => fetch(`${endpoint}/readyz`).then((r) => r.status),
      (s) => s === 503,
    );
    expect((await fetch(`${endpoint}/healthz`)).status).toBe(200);
    await proxy.restore();
    await until(
      '/readyz 200 once Redis is back',
      () => fetch(`${endpoint}/readyz`).then((r) => r.status),
      (s) => s === 200,
    );
    await runs.obliterate();
  }, 90_000);

  it('logs a JSON line when Redis goes away and another when the connection is back', async () => {
    let redis = await startPrivateRedis();
    const { port } = redis;
    cleanup.push(() => redis.stop());
    const worker = startCli(
      [
        'worker',
        '--redis',
        `redis://127.0.0.1:${port}`,
        '--name',
        uniqueQueueName('reconnect'),
        '--base-url',
        'http://127.0.0.1:9/v1',
        '--log',
        'json',
      ],
      cliEnv({ OPENAI_API_KEY: 'sim' }),
    );
    cleanup.push(() => worker.child.kill('SIGKILL'));
    await worker.waitFor('stdout', /worker ready/, 30_000);
    // The redis-server stops (its data was memory only: nothing to keep), and comes back on the same port.
    await redis.stop();
    await worker.waitFor('stdout', /"event":"redis_reconnect"/, 20_000);
    redis = await startPrivateRedis(port);
    await worker.waitFor('stdout', /"event":"redis_reconnected"/, 30_000);
    const lines = worker.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; level: string; time: string; [k: string]: unknown });
    const lost = lines.filter((l) => l.event === 'redis_reconnect');
    const back = lines.filter((l) => l.event === 'redis_reconnected');
    expect(lost[0]).toMatchObject({ level: 'warn', attempt: 1 });
    expect(typeof lost[0]!.delay_ms).toBe('number');
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ level: 'info', attempts: lost.length });
    expect(back[0]!.down_ms as number).toBeGreaterThan(0);
    // Every line is one JSON object with its time, in order: the loss before the return.
    expect(lines.indexOf(lost[0]!)).toBeLessThan(lines.indexOf(back[0]!));
    expect(Number.isNaN(Date.parse(back[0]!.time))).toBe(false);
  }, 60_000);
});
