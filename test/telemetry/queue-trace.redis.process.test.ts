import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { createRunQueue } from '../../src/queue/index.js';
import { startSimulator } from '../../src/sim/index.js';
import { createScaledClock } from '../../src/sim/time/clock.js';
import { registerTestOtel } from '../helpers/otel.js';
import { scenarioMeta, simClient } from '../helpers/sim.js';
import { REDIS, uniqueQueueName } from '../queue/fixture.js';

const SPEED = 20;
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

interface ExportedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  links: string[];
  attributes: Record<string, unknown>;
}

function startTracedWorker(env: Record<string, string>): { ready: Promise<void>; stop(): Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/telemetry/traced-worker.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('traced worker ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`traced worker exited early (${code})`)));
  });
  return {
    ready,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

describe('runstate/queue: one trace from watch() to every step, on any worker', () => {
  it('puts the step spans of two worker processes in the trace of the watch() call, linked to it', async () => {
    const otel = registerTestOtel();
    const origin = Date.now();
    const sim = await startSimulator({ clock: createScaledClock(SPEED, origin), seed: 5 });
    const client = simClient(sim);
    const name = uniqueQueueName('trace');
    const runs = await createRunQueue({ connection: REDIS, name, now: () => sim.clock.now(), speed: SPEED });
    const dir = mkdtempSync(join(tmpdir(), 'rs-trace-'));
    const env = { QUEUE: name, BASE_URL: sim.baseURL, SPEED: String(SPEED), ORIGIN: String(origin) };
    const workers = [0, 1].map((i) => startTracedWorker({ ...env, OUT: join(dir, `w${i}.json`) }));
    try {
      await Promise.all(workers.map((w) => w.ready));
      const jobs: { kind: 'response'; id: string }[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await client.responses.create({
          model: 'gpt-4o-mini',
          input: 'hi',
          background: true,
          metadata: scenarioMeta({ outcome: 'completed', phases: { queued: 300, in_progress: 6000 } }),
        });
        jobs.push({ kind: 'response', id: r.id });
      }
      // The application's request span: watch() runs inside it.
      const caller = await trace.getTracer('test').startActiveSpan('POST /jobs', async (span) => {
        for (const job of jobs) await runs.watch(job);
        span.end();
        return span.spanContext();
      });
      const finals = await Promise.all(jobs.map((job) => runs.result(job)));
      expect(finals.every((s) => s.state === 'completed')).toBe(true);
      await Promise.all(workers.map((w) => w.stop()));

      const exported = [0, 1].map(
        (i) => JSON.parse(readFileSync(join(dir, `w${i}.json`), 'utf8')) as { spans: ExportedSpan[] },
      );
      const stepsBy = exported.map((e) => e.spans.filter((s) => s.name === 'runstate.step'));
      // Both processes stepped (each holds one step at a time, and six watches need many steps).
      expect(stepsBy[0]!.length).toBeGreaterThan(0);
      expect(stepsBy[1]!.length).toBeGreaterThan(0);
      const steps = stepsBy.flat();
      const { traceId, spanId } = caller;
      for (const step of steps) {
        expect(step.traceId).toBe(traceId);
        expect(step.links).toContain(spanId);
      }
      // Every job's steps are there, and each request of a step is its child span in the same trace.
      expect(new Set(steps.map((s) => s.attributes['runstate.job.id']))).toEqual(
        new Set(jobs.map((j) => j.id)),
      );
      const reads = exported.flatMap((e) => e.spans.filter((s) => s.name === 'get_response'));
      const stepIds = new Set(steps.map((s) => s.spanId));
      expect(reads.length).toBeGreaterThan(0);
      for (const read of reads) {
        expect(read.traceId).toBe(traceId);
        expect(stepIds.has(read.parentSpanId!)).toBe(true);
      }
      expect(reads.length).toBe(finals.reduce((n, s) => n + s.calls, 0));
    } finally {
      await Promise.all(workers.map((w) => w.stop().catch(() => {})));
      await runs.obliterate();
      await runs.close();
      await sim.close();
      await otel.shutdown();
    }
  }, 60_000);
});
