// Benchmark: durable watches on BullMQ. N background responses watched by W `runstate worker` processes against
// a simulator limited to RPM requests per minute (one worker SIGKILLed halfway), against the same N watched in
// one process by watchRuns + createPollBudget at the same limit (the baseline, measured in the same run).
// Before that, an idle phase at each size of --idle (default 1000,10000): Redis bytes per idle watch, the worker's
// heap with N idle watches, and its CPU per step beyond the retrieve (bench/lib/queue-idle-worker.ts).
// Run: npm run bench:queue [-- --jobs 10000 --workers 4 --rpm 1200 --speed 20 --idle 1000,10000 (--idle-only) (--idle-paused)];
// --idle 0 skips the idle phase.
// Needs Redis on 127.0.0.1:6379, or on the port of --redis-port (a private redis-server, so that nobody else's keys
// count in its INFO memory figures).
// Only a run with --write updates docs/benchmarks.md.
import { type ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { lastValueFrom, toArray } from 'rxjs';
import { createPollBudget, type JobRef, type RunSnapshot, watchRuns } from '../src/index.js';
import { createRunQueue, watchJobId } from '../src/queue/index.js';
import { type Simulator, startSimulator } from '../src/sim/index.js';
import type { Scenario } from '../src/sim/scenario/scenario.js';
import { args, option } from './lib/args.js';
import { writeDocSection } from './lib/doc-markers.js';
import { bundle } from './lib/overhead-bundle.js';
import { type SimHandle, type SimReport, startSimProcess } from './lib/sim-handle.js';

const JOBS = option('jobs', 10_000);
const WORKERS = option('workers', 4);
const RPM = option('rpm', 1200);
const SPEED = option('speed', 20);
const SEED = 7;
// How long each watch waits before it gives up (clock ms): past the time this machine takes to read every job, so
// that every watch ends with the server's status (an hour, the default, ran out at 100,000 jobs).
const MAX_WAIT_MS = option('max-wait-ms', 3_600_000);
const REDIS = { host: '127.0.0.1', port: option('redis-port', 6379) };
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every job the same script: a few seconds queued, about a minute in progress, mostly completed. */
const SCENARIO: Scenario = {
  phases: {
    queued: [1000, 5000],
    in_progress: { dist: 'lognormal', median: 60_000, sigma: 0.7, max: 240_000 },
  },
  outcome: { completed: 8, failed: 1, incomplete: 1 },
};

/** For the idle phase: jobs that stay in progress for an hour, so every watch sleeps between steps. */
const IDLE_SCENARIO: Scenario = {
  phases: { queued: 1000, in_progress: 3_600_000 },
  outcome: 'completed',
};

/** Creates N background responses, before the limit is set so that creating costs no budget. */
async function createJobs(client: OpenAI, n: number): Promise<JobRef[]> {
  const jobs: JobRef[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () =>
        client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true }),
      ),
    );
    jobs.push(...batch.map((r) => ({ kind: 'response' as const, id: r.id })));
  }
  return jobs;
}

/**
 * The simulator in a process of its own (it stands for OpenAI's servers: its CPU is not the watchers'), with N jobs
 * created and the limit set.
 */
async function limitedSimulator(): Promise<{ sim: SimHandle; client: OpenAI; jobs: JobRef[] }> {
  const sim = await startSimProcess({ speed: SPEED, seed: SEED, scenario: SCENARIO });
  const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0 });
  // No limit while creating: on a quiet machine 100,000 creates outran the simulator's default 10,000 per minute.
  await sim.faults({ rpm: 1_000_000_000 });
  const jobs = await createJobs(client, JOBS);
  await sim.faults({ rpm: RPM });
  return { sim, client, jobs };
}

/** For the idle phase: in this process, unscaled, with no limit (it measures steps, not a budget). */
async function idleSimulator(n: number): Promise<{ sim: Simulator; jobs: JobRef[] }> {
  const sim = await startSimulator({ seed: SEED, scenario: IDLE_SCENARIO, rateLimits: { rpm: 1_000_000 } });
  const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0 });
  return { sim, jobs: await createJobs(client, n) };
}

/** Watches whose last snapshot is terminal with the status the server has. */
function expected(report: SimReport, jobs: JobRef[], ends: RunSnapshot[]): number {
  return ends.filter((s, i) => s.done && s.status === report.jobs[(jobs[i] as { id: string }).id]?.status)
    .length;
}

async function baseline() {
  const { sim, client, jobs } = await limitedSimulator();
  const { scheduler } = sim;
  const budget = createPollBudget({ rpm: RPM, scheduler });
  const started = Date.now();
  const updates = await lastValueFrom(
    watchRuns(jobs, { client, scheduler, source: budget.poll(), maxWaitMs: MAX_WAIT_MS }).pipe(toArray()),
  );
  const wallMs = Date.now() - started;
  const last = new Map<string, RunSnapshot>();
  for (const u of updates as unknown as { key: string; snapshot?: RunSnapshot }[]) {
    if (u.snapshot) last.set(u.key, u.snapshot);
  }
  const ends = jobs.map((j) => last.get((j as { id: string }).id)!).filter(Boolean);
  const report = await sim.report();
  const result = {
    wallMs,
    rateLimited: report.rateLimited,
    correct: expected(report, jobs, ends),
    reads: report.retrieves,
  };
  await sim.close();
  return result;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function queued() {
  const { sim, jobs } = await limitedSimulator();
  const name = `runstate-bench-${process.pid}`;
  const redis = new Redis(REDIS);
  const runs = await createRunQueue({ connection: REDIS, name, now: () => sim.clock.now(), speed: SPEED });
  const spawnWorker = (): ChildProcess =>
    spawn(
      process.execPath,
      [
        // A line `heap <bytes>` after a full GC every 10 s (bench/lib/heap-report.ts): is the worker's heap flat?
        '--expose-gc',
        '--import',
        'tsx',
        '--import',
        './bench/lib/heap-report.ts',
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
        String(sim.origin),
        '--lock-ms',
        '5000',
      ],
      { cwd: ROOT, env: { ...process.env, OPENAI_API_KEY: 'sim' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
  const workers = Array.from({ length: WORKERS }, spawnWorker);
  // Each worker's heap after a full GC, every 10 s: the first sample once every watch was added, the highest, the
  // last (the worker SIGKILLed halfway left out).
  const heaps = workers.map(() => [] as { at: number; bytes: number }[]);
  for (const [i, w] of workers.entries()) {
    w.stdout!.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/^heap (\d+)$/gm))
        heaps[i]!.push({ at: Date.now(), bytes: Number(m[1]) });
    });
  }
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
    await Promise.all(jobs.slice(i, i + 200).map((j) => runs.watch(j, { maxWaitMs: MAX_WAIT_MS })));
  const afterWatch = await usedMemory(redis);
  const watched = Date.now();
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
  const report = await sim.report();
  const result = {
    wallMs,
    rateLimited: report.rateLimited,
    correct: expected(report, jobs, ends),
    lost: jobs.length - counts.completed,
    reads: report.retrieves,
    watchBytes: (afterWatch - before) / jobs.length,
    peakBytes: peakMemory / jobs.length,
    // Per surviving worker: heap after GC once every watch was added, the highest, and the last (bytes).
    workerHeaps: heaps.slice(1).map((h) => {
      const after = h.filter((s) => s.at >= watched);
      return {
        first: after[0]?.bytes ?? 0,
        max: Math.max(0, ...after.map((s) => s.bytes)),
        last: after.at(-1)?.bytes ?? 0,
        samples: after.length,
      };
    }),
  };
  for (const w of workers.slice(1)) w.kill('SIGTERM');
  await runs.obliterate();
  await runs.close();
  redis.disconnect();
  await sim.close();
  return result;
}

type Measure = { heapUsed: number; cpuUs: number; steps: number };

/**
 * N watches stepped once each by one worker process, then idle (delayed ten minutes): Redis bytes per idle watch
 * (INFO used_memory delta ÷ N), the worker's heap after a full GC, and its CPU per step, against the CPU of the
 * same N retrieves made alone by the same process and client.
 */
async function idlePhase(n: number) {
  const { sim, jobs } = await idleSimulator(n);
  const name = `runstate-bench-idle-${process.pid}-${n}`;
  const redis = new Redis(REDIS);
  const runs = await createRunQueue({ connection: REDIS, name });
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      // BENCH_CPU_PROF=<dir>: a CPU profile of the idle worker (where a step's CPU goes), written when it exits.
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      // Bundled as the package is built, not run through tsx, whose kept function names cost every closure a
      // defineProperty (bench/lib/overhead-bundle.ts): the step's CPU is the package's.
      await bundle(new URL('./lib/queue-idle-worker.ts', import.meta.url)),
      name,
      sim.baseURL,
      String(REDIS.port),
    ],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const ask = <T>(message: object) =>
    new Promise<T>((resolve) => {
      child.once('message', (m) => resolve(m as T));
      child.send(message);
    });
  await new Promise((resolve) => child.once('message', resolve));
  const empty = await ask<Measure>({ type: 'measure' });
  const before = await usedMemory(redis);
  // --idle-paused: every watch added while the queue is paused, so that first steps, like later ones, meet a full
  // wait list instead of jobs trickling in (whether that is what makes a first step dearer: it is not).
  const paused = args.includes('--idle-paused');
  if (paused) await runs.queue.pause();
  for (let i = 0; i < jobs.length; i += 200)
    await Promise.all(jobs.slice(i, i + 200).map((j) => runs.watch(j)));
  if (paused) await runs.queue.resume();
  // The worker's measure once it made n steps more than at `from` and every watch sleeps again.
  const afterSteps = async (from: Measure): Promise<Measure> => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const m = await ask<Measure>({ type: 'measure' });
      if (m.steps - from.steps >= n && (await runs.counts()).delayed === n) return m;
    }
  };
  const stepped = await afterSteps(empty);
  const idleBytes = ((await usedMemory(redis)) - before) / n;
  // What of it is BullMQ's event stream (capped, shared by the queue's watches) and what one watch's job hash holds.
  const streamBytes = Number(await redis.memory('USAGE', runs.queue.keys.events!));
  const jobBytes = Number(await redis.memory('USAGE', runs.queue.toKey(watchJobId(jobs[0]!)), 'SAMPLES', 0));
  const streamEvents = await redis.xlen(runs.queue.keys.events!);
  const steps = stepped.steps - empty.steps;
  const cpuPerStepUs = (stepped.cpuUs - empty.cpuUs) / steps;
  // A later step of each watch: every one promoted from its hour's sleep, read again (still in progress), and
  // delayed again. The common step of a watch's life, where the first one also creates the machine, enters the
  // tally and publishes the first snapshot.
  const ids = jobs.map((j) => (j as { id: string }).id);
  await runs.queue.promoteJobs();
  const restepped = await afterSteps(stepped);
  const cpuPerLaterStepUs = (restepped.cpuUs - stepped.cpuUs) / (restepped.steps - stepped.steps);
  // The retrieves alone, twice (their mean): one measure moved by 10 to 20%.
  const retrieves = [
    await ask<{ cpuUs: number }>({ type: 'retrieve', ids }),
    await ask<{ cpuUs: number }>({ type: 'retrieve', ids }),
  ];
  const cpuPerRetrieveUs = (retrieves[0]!.cpuUs + retrieves[1]!.cpuUs) / 2 / n;
  child.send({ type: 'close' });
  await new Promise((resolve) => child.once('exit', resolve));
  await runs.obliterate();
  await runs.close();
  redis.disconnect();
  await sim.close();
  return {
    n,
    idleBytes,
    streamBytes,
    streamEvents,
    jobBytes,
    heapEmpty: empty.heapUsed,
    heapIdle: stepped.heapUsed,
    steps,
    cpuPerStepUs,
    cpuPerLaterStepUs,
    cpuPerRetrieveUs,
    cpuPerRetrieveRunsUs: retrieves.map((r) => r.cpuUs / n),
  };
}

// The machine may be shared: every timed figure goes out with the load average it was measured under.
const loadAtStart = loadavg()[0]!;
const IDLE_SIZES = (args.includes('--idle') ? args[args.indexOf('--idle') + 1]! : '1000,10000')
  .split(',')
  .map(Number)
  // --idle 0 skips the idle phase.
  .filter((n) => n > 0);
const idle: Awaited<ReturnType<typeof idlePhase>>[] = [];
for (const n of IDLE_SIZES) {
  idle.push(await idlePhase(n));
  console.log('idle', idle.at(-1));
}
if (args.includes('--idle-only')) process.exit(0);
const base = await baseline();
console.log('baseline', base);
const q = await queued();
console.log('queue', q);
const kib = (b: number) => `${(b / 1024).toFixed(2)} KiB`;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
const idleTable = () => `
Idle phase (\`--idle ${IDLE_SIZES.join(',')}\`): N watches of jobs that stay in progress, stepped once each by one
worker process (concurrency 200, no rate limit), then all delayed; measured once every watch had stepped and slept.
Then every watch promoted and stepped once more (a later step: the job read again, still in progress). The
worker's CPU excludes the full collections the bench forces for the heap figure.

| N idle watches | Redis memory per idle watch (INFO used_memory delta ÷ N; goal ≤ 3 KiB at 100,000) | of which: one watch's job hash; BullMQ's event stream ÷ N (its events) | worker heap after GC, idle (with no watch) | worker CPU per step: first; later | CPU per retrieve alone | CPU per step beyond the retrieve: first; later |
| --- | --- | --- | --- | --- | --- | --- |
${idle
  .map(
    (r) =>
      `| ${r.n.toLocaleString('en')} | ${kib(r.idleBytes)} | ${kib(r.jobBytes)}; ${kib(r.streamBytes / r.n)} (${r.streamEvents.toLocaleString('en')}) | ${mib(r.heapIdle)} (${mib(r.heapEmpty)}) | ${ms(r.cpuPerStepUs)}; ${ms(r.cpuPerLaterStepUs)} | ${ms(r.cpuPerRetrieveUs)} | ${ms(r.cpuPerStepUs - r.cpuPerRetrieveUs)}; **${ms(r.cpuPerLaterStepUs - r.cpuPerRetrieveUs)}** |`,
  )
  .join('\n')}
`;
const body = `Command: \`npm run bench:queue -- --jobs ${JOBS} --workers ${WORKERS} --rpm ${RPM} --speed ${SPEED} --idle ${IDLE_SIZES.join(',') || 0}${MAX_WAIT_MS === 3_600_000 ? '' : ` --max-wait-ms ${MAX_WAIT_MS}`}\`
(${JOBS} background responses, about a minute each, simulator clock ×${SPEED}, the simulator in a process of its
own; one worker SIGKILLed when half the watches had ended). Load average (1 min): ${loadAtStart.toFixed(1)} at the start,
${loadavg()[0]!.toFixed(1)} at the end.

| figure | ${WORKERS} worker processes (runstate/queue) | one process: watchRuns + createPollBudget | goal |
| --- | --- | --- | --- |
| 429s from the simulator | ${q.rateLimited} | ${base.rateLimited} | 0 |
| watches ended as the server says | ${q.correct}/${JOBS} (lost: ${q.lost}) | ${base.correct}/${JOBS} | all |
| wall time | ${(q.wallMs / 1000).toFixed(1)} s (${(q.wallMs / base.wallMs).toFixed(2)}× the baseline) | ${(base.wallMs / 1000).toFixed(1)} s | ≤ 1.2× |
| retrieves made (per watch) | ${q.reads} (${(q.reads / JOBS).toFixed(2)}) | ${base.reads} (${(base.reads / JOBS).toFixed(2)}) | |
| Redis memory per watch, just added | ${kib(q.watchBytes)} | n/a | |
| Redis memory per watch, peak while they ran (INFO used_memory delta ÷ watches) | ${kib(q.peakBytes)} | n/a | |

${idle.length === 0 ? '' : idleTable()}`;
if (args.includes('--write')) writeDocSection(`${ROOT}docs/benchmarks.md`, 'Queue', 'bench:queue', body);
console.log(body);
process.exit(0);
