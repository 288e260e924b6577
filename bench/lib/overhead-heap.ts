// Heap per idle watch, for bench/overhead.ts: run as `node --expose-gc --import tsx overhead-heap.ts <mode> <n>`;
// prints one JSON line { mode, n, bytesPerWatch, ... }. A fresh process per mode, so modes cannot share garbage.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import OpenAI from 'openai';
import { asyncScheduler, NEVER, ReplaySubject, Subject, type Subscription, share, timer } from 'rxjs';
import { createActor, fromEventObservable } from 'xstate';
import { runMachine } from '../../machines/run.machine.js';
import {
  createPollBudget,
  createWebhookHub,
  hybrid,
  poll,
  watchRun,
  webhookSource,
} from '../../src/index.js';
import { adapters } from '../../src/kinds/index.js';
import type { JobRef, SourceContext, StatusEvent } from '../../src/model/types.js';
import { createRequestMeter } from '../../src/requests/request-meter.js';
import { attachWatch, watchMachine } from '../../src/watch/watch-actors.js';

const [mode = 'watch-poll', count = '10000', measure = 'heap'] = process.argv.slice(2);
const N = Number(count);
const HOUR = 3_600_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
const hub = createWebhookHub({ secret: `whsec_${Buffer.alloc(24, 1).toString('base64')}` });
const budget = createPollBudget({ rpm: 600 });
/** Far enough that nothing is requested while we measure. */
const idle = { initialDelayMs: HOUR, maxDelayMs: HOUR, jitter: 'none' } as const;

/** The seed's loop as a pending async function: awaiting its sleep before the first retrieve. */
async function seedLoop(id: string): Promise<string | undefined> {
  let wait = 500;
  const start = Date.now();
  for (;;) {
    if (Date.now() - start > 60_000) return undefined;
    await new Promise((resolve) => setTimeout(resolve, HOUR + wait));
    const run = await client.responses.retrieve(id);
    if (run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled')
      return run.status;
    wait = Math.min(wait * 1.5, 5000);
  }
}

// Parts of one watch, for bisecting (what watchRun builds per subscription; see src/watch/watch-run.ts).
const input = (id: string) => ({
  job: { kind: 'response', id } as const,
  kind: 'response' as const,
  jobId: id,
  startedAt: Date.now(),
  maxWaitMs: 24 * HOUR,
  toolNames: [],
});
const clock = {
  setTimeout: (fn: () => void, ms: number) => asyncScheduler.schedule(() => fn(), ms),
  clearTimeout: (s: { unsubscribe(): void } | undefined) => s?.unsubscribe(),
};
const sourceContext = (id: string): SourceContext => ({
  client,
  job: { kind: 'response', id },
  adapter: adapters.response,
  meter: createRequestMeter(),
  scheduler: asyncScheduler,
  random: Math.random,
  deadline: Date.now() + 24 * HOUR,
  nudge$: new Subject<void>().asObservable(),
  signal: new AbortController().signal,
});
/** What watchRun once did per watch: provide the machine anew (the cost is the rebuilt state-node tree). */
const provided = () =>
  runMachine.provide({ actors: { source: fromEventObservable<StatusEvent, { job: JobRef }>(() => NEVER) } });
/** Provided once, shared by every actor: what an actor costs without its own machine. */
const sharedMachine = runMachine.provide({
  actors: { source: fromEventObservable<StatusEvent, { job: JobRef }>(() => NEVER) },
});

// Telemetry rows (bench/lib/overhead-telemetry.ts): the real SDK registered before any watch starts.
if (mode === 'watch-poll-sdk') {
  const { trace, metrics } = await import('@opentelemetry/api');
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import(
    '@opentelemetry/sdk-trace-base'
  );
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider());
}

const keep: unknown[] = [];
function start(i: number): void {
  startAs(mode, i);
}
function startAs(mode: string, i: number): void {
  const job = { kind: 'response', id: `resp_${String(i).padStart(24, '0')}` } as const;
  const watch = (source: Parameters<typeof watchRun>[0]['source']) =>
    watchRun({ client, job, source, maxWaitMs: 24 * HOUR }).subscribe(() => {});
  switch (mode) {
    case 'seed':
      keep.push(seedLoop(job.id));
      return;
    case 'watch-poll':
    case 'watch-poll-sdk':
      keep.push(watch(poll(idle)));
      return;
    case 'watch-poll-off':
      keep.push(
        watchRun({ client, job, source: poll(idle), maxWaitMs: 24 * HOUR, telemetry: false }).subscribe(),
      );
      return;
    case 'watch-webhook':
      keep.push(watch(webhookSource(hub)));
      return;
    case 'watch-budget':
      keep.push(watch(budget.poll(idle)));
      return;
    case 'watch-hybrid':
      keep.push(watch(hybrid(hub)));
      return;
    // ── bisect ──
    case 'provide':
      keep.push(provided());
      return;
    case 'actor-shared-machine':
      keep.push(createActor(sharedMachine, { input: input(job.id), clock }).start());
      return;
    case 'actor-shared-machine-no-clock':
      keep.push(createActor(sharedMachine, { input: input(job.id) }).start());
      return;
    case 'actor-provided': {
      // What watchRun does now: an actor of the machine provided once, its watch attached through its system.
      const actor = createActor(watchMachine, { input: input(job.id), clock });
      attachWatch(actor.system, {
        client,
        source: poll(idle),
        context: sourceContext(job.id),
        tools: {},
        onToolError: 'report',
      });
      keep.push(actor.start());
      return;
    }
    case 'rx-shell': {
      // watchRun's own per-watch objects, without the actor: AbortController, meter, nudge Subject, the shared
      // ReplaySubject, and one scheduler timer standing in for the poll's.
      const stop = new AbortController();
      const nudge$ = new Subject<void>();
      const ctx = { ...sourceContext(job.id), signal: stop.signal, nudge$: nudge$.asObservable() };
      keep.push(
        ctx,
        timer(HOUR, asyncScheduler)
          .pipe(share({ connector: () => new ReplaySubject(1) }))
          .subscribe(),
      );
      return;
    }
    case 'poll-source':
      keep.push(poll(idle).watch(sourceContext(job.id)).subscribe());
      return;
    case 'timer':
      keep.push(asyncScheduler.schedule(() => {}, HOUR));
      return;
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};
const heap = async () => {
  await settle();
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
};

// `lag`: how long the event loop stalls while the watches start and then idle (the reads at start of webhook-fed
// watches go out then), over LAG_MS after the start loop, with no forced GC in the way.
const LAG_MS = 3000;
if (measure === 'lag') {
  for (let i = 0; i < 200; i++) start(-1 - i);
  await settle();
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const wall = performance.now();
  for (let i = 0; i < N; i++) start(i);
  const startMs = performance.now() - wall;
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, LAG_MS));
  histogram.disable();
  const ms = (ns: number) => ns / 1e6;
  console.log(
    JSON.stringify({
      mode,
      n: N,
      startMs,
      lagP99Ms: ms(histogram.percentile(99)),
      lagMaxMs: ms(histogram.max),
      windowMs: LAG_MS,
    }),
  );
  process.exit(0);
}

// `cpu`: the CPU time (process.cpuUsage, user + system, collector included) of starting N watches, next to N of the
// seed's loops started in the same process just before, as the baseline: a ratio that holds under load.
if (measure === 'cpu') {
  const ownMode = mode;
  const cpuOf = (run: (i: number) => void, from: number) => {
    const t = process.cpuUsage();
    for (let i = 0; i < N; i++) run(from + i);
    const d = process.cpuUsage(t);
    return (d.user + d.system) / N;
  };
  // Warm both, then the seed's loops, then the watches (each started once, all kept alive as in the heap rows).
  for (let i = 0; i < 200; i++) startAs('seed', -1 - i);
  for (let i = 0; i < 200; i++) start(-1000 - i);
  await settle();
  const seedUs = cpuOf((i) => startAs('seed', i), 1_000_000);
  await settle();
  const watchUs = cpuOf(start, 0);
  console.log(JSON.stringify({ mode: ownMode, n: N, seedUs, watchUs, ratio: watchUs / seedUs }));
  process.exit(0);
}

// Warm up: module-level caches, lazily compiled code and first-use allocations are not per-watch costs.
for (let i = 0; i < 200; i++) start(-1 - i);
const before = await heap();
const { writeHeapSnapshot } = await import('node:v8');
if (process.env.HEAP_PROFILE) writeHeapSnapshot(`${process.env.HEAP_PROFILE}-before.heapsnapshot`);
const wall = performance.now();
for (let i = 0; i < N; i++) start(i);
const startMs = performance.now() - wall;
const after = await heap();
if (process.env.HEAP_PROFILE) writeHeapSnapshot(`${process.env.HEAP_PROFILE}-after.heapsnapshot`);
console.log(
  JSON.stringify({
    mode,
    n: N,
    bytesPerWatch: (after - before) / N,
    heapBefore: before,
    heapAfter: after,
    startMs,
    live: keep.length,
  }),
);
for (const k of keep)
  if (k && typeof (k as Subscription).unsubscribe === 'function') (k as Subscription).unsubscribe();
process.exit(0);
