// Benchmark: durable watches on BullMQ. N background responses watched by W `runstate worker` processes against
// a simulator limited to RPM requests per minute (one worker SIGKILLed halfway), against the same N watched in
// one process by watchRuns + createPollBudget at the same limit (the baseline, measured in the same run).
// Run: npm run bench:queue [-- --jobs 10000 --workers 4 --rpm 1200 --speed 20]. Needs Redis on 127.0.0.1:6379.
// Only a run with --write updates docs/benchmarks.md.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { lastValueFrom, toArray } from 'rxjs';
import { createPollBudget, type JobRef, type RunSnapshot, watchRuns } from '../src/index.js';
import { createRunQueue } from '../src/queue/index.js';
import { createScaledClock, type Simulator, simScheduler, startSimulator } from '../src/sim/index.js';
import type { Scenario } from '../src/sim/scenario.js';
import { writeDocSection } from './lib/doc-markers.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const JOBS = option('jobs', 10_000);
const WORKERS = option('workers', 4);
const RPM = option('rpm', 1200);
const SPEED = option('speed', 20);
const SEED = 7;
const REDIS = { host: '127.0.0.1', port: 6379 };
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every job the same script: a few seconds queued, about a minute in progress, mostly completed. */
const SCENARIO: Scenario = {
  phases: {
    queued: [1000, 5000],
    in_progress: { dist: 'lognormal', median: 60_000, sigma: 0.7, max: 240_000 },
  },
  outcome: { completed: 8, failed: 1, incomplete: 1 },
};

async function simulator(origin: number): Promise<{ sim: Simulator; client: OpenAI; jobs: JobRef[] }> {
  const sim = await startSimulator({
    clock: createScaledClock(SPEED, origin),
    seed: SEED,
    scenario: SCENARIO,
  });
  const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0 });
  const jobs: JobRef[] = [];
  // Created before the limit is set, so creating costs no budget.
  for (let i = 0; i < JOBS; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, JOBS - i) }, () =>
        client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true }),
      ),
    );
    jobs.push(...batch.map((r) => ({ kind: 'response' as const, id: r.id })));
  }
  sim.setFaults({ rpm: RPM });
  return { sim, client, jobs };
}

function expected(sim: Simulator, jobs: JobRef[], ends: RunSnapshot[]): number {
  return ends.filter((s, i) => s.done && s.status === sim.job((jobs[i] as { id: string }).id)!.status).length;
}

async function baseline() {
  const { sim, client, jobs } = await simulator(Date.now());
  const scheduler = simScheduler(sim.clock);
  const budget = createPollBudget({ rpm: RPM, scheduler });
  const started = Date.now();
  const updates = await lastValueFrom(
    watchRuns(jobs, { client, scheduler, source: budget.poll(), maxWaitMs: 3_600_000 }).pipe(toArray()),
  );
  const wallMs = Date.now() - started;
  const last = new Map<string, RunSnapshot>();
  for (const u of updates as unknown as { key: string; snapshot?: RunSnapshot }[]) {
    if (u.snapshot) last.set(u.key, u.snapshot);
  }
  const ends = jobs.map((j) => last.get((j as { id: string }).id)!).filter(Boolean);
  const result = { wallMs, rateLimited: sim.stats().rateLimited, correct: expected(sim, jobs, ends) };
  await sim.close();
  return result;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function queued() {
  const origin = Date.now();
  const { sim, jobs } = await simulator(origin);
  const name = `runstate-bench-${process.pid}`;
  const redis = new Redis(REDIS);
  const runs = await createRunQueue({ connection: REDIS, name, now: () => sim.clock.now(), speed: SPEED });
  const spawnWorker = (): ChildProcess =>
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'worker',
        '--redis',
        `redis://${REDIS.host}:${REDIS.port}`,
        '--name',
        name,
        '--base-url',
        sim.baseURL,
        '--rpm',
        String(RPM),
        '--concurrency',
        '200',
        '--speed',
        String(SPEED),
        '--origin',
        String(origin),
        '--lock-ms',
        '5000',
      ],
      { cwd: ROOT, env: { ...process.env, OPENAI_API_KEY: 'sim' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
  const workers = Array.from({ length: WORKERS }, spawnWorker);
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) =>
          w.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()),
        ),
    ),
  );
  const before = await usedMemory(redis);
  const started = Date.now();
  for (let i = 0; i < jobs.length; i += 200)
    await Promise.all(jobs.slice(i, i + 200).map((j) => runs.watch(j)));
  const afterWatch = await usedMemory(redis);
  const results = Promise.all(jobs.map((j) => runs.result(j)));
  let killed = false;
  // The most Redis held for the watches while they ran (every watch exists from the start to its end).
  let peakMemory = 0;
  for (;;) {
    const c = await runs.counts();
    peakMemory = Math.max(peakMemory, (await usedMemory(redis)) - before);
    if (!killed && c.completed >= jobs.length / 2) {
      workers[0]!.kill('SIGKILL');
      killed = true;
    }
    if (c.completed + c.failed >= jobs.length) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const ends = await results;
  const wallMs = Date.now() - started;
  const counts = await runs.counts();
  const result = {
    wallMs,
    rateLimited: sim.stats().rateLimited,
    correct: expected(sim, jobs, ends),
    lost: jobs.length - counts.completed,
    watchBytes: (afterWatch - before) / jobs.length,
    peakBytes: peakMemory / jobs.length,
  };
  for (const w of workers.slice(1)) w.kill('SIGTERM');
  await runs.queue.obliterate({ force: true });
  await runs.close();
  redis.disconnect();
  await sim.close();
  return result;
}

const base = await baseline();
console.log('baseline', base);
const q = await queued();
console.log('queue', q);
const kib = (b: number) => `${(b / 1024).toFixed(2)} KiB`;
const body = `Command: \`npm run bench:queue -- --jobs ${JOBS} --workers ${WORKERS} --rpm ${RPM} --speed ${SPEED}\`
(${JOBS} background responses, about a minute each, simulator clock ×${SPEED}; one worker SIGKILLed when half the
watches had ended).

| figure | ${WORKERS} worker processes (runstate/queue) | one process: watchRuns + createPollBudget | goal |
| --- | --- | --- | --- |
| 429s from the simulator | ${q.rateLimited} | ${base.rateLimited} | 0 |
| watches ended as the server says | ${q.correct}/${JOBS} (lost: ${q.lost}) | ${base.correct}/${JOBS} | all |
| wall time | ${(q.wallMs / 1000).toFixed(1)} s (${(q.wallMs / base.wallMs).toFixed(2)}× the baseline) | ${(base.wallMs / 1000).toFixed(1)} s | ≤ 1.2× |
| Redis memory per watch, just added | ${kib(q.watchBytes)} | n/a | |
| Redis memory per watch, peak while they ran (INFO used_memory delta ÷ watches) | ${kib(q.peakBytes)} | n/a | ≤ 4 KiB |
`;
if (args.includes('--write')) writeDocSection(`${ROOT}docs/benchmarks.md`, 'Queue', 'bench:queue', body);
console.log(body);
process.exit(0);
