// Benchmark: where one queue step's CPU goes. N idle watches (responses in progress for an hour), each stepped
// once, one at a time, by this process making the calls a worker's processor makes (src/queue/worker/run-worker.ts),
// in its order (its two round trips of src/queue/worker/step-redis.ts), with the CPU of each phase measured by process.cpuUsage() around it. One at a time, so that the
// CPU of a phase is its own: nothing else runs while it waits for Redis or the simulator (in a process of its own).
// Run: npx tsx bench/queue-step.ts [--steps 2000 --redis-port 6379]. Prints a table; writes nothing.
// With --callgrind, under `valgrind --tool=callgrind --instr-atstart=no node --import tsx bench/queue-step.ts`:
// instruction counts, which the load of a shared machine does not move. The steps are counted (dump 1), then the
// same retrieves made alone by the same client (dump 2); the difference is what a step costs beyond its retrieve.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { Worker } from 'bullmq';
import OpenAI from 'openai';
import { createRunQueue } from '../src/queue/index.js';
import { currentSnapshot } from '../src/queue/observe/current-snapshot.js';
import { cancelKeyType } from '../src/queue/queue/cancel-request.js';
import { stateTally } from '../src/queue/state-tally.js';
import { runStep } from '../src/queue/step/step.js';
import { parseWatchData } from '../src/queue/watch-data.js';
import { inboxKeyType } from '../src/queue/webhooks/webhook-inbox.js';
import { storedForm, withFullJob } from '../src/queue/worker/slim-job.js';
import { readStep, stepKeys, writeStep } from '../src/queue/worker/step-redis.js';
import { DEFAULT_POLL_BACKOFF, resolveBackoff } from '../src/sources/backoff.js';
import { changeKey } from '../src/watch/snapshot.js';
import { args, option } from './lib/args.js';
import { startSimProcess } from './lib/sim-handle.js';

const STEPS = option('steps', 2000);
// Steps run before the count starts, so that it counts steps and not the JIT compiling them.
const WARMUP = option('warmup', 200);
const REDIS = { host: '127.0.0.1', port: option('redis-port', 6379) };
const name = `runstate-bench-step-${process.pid}`;
const CALLGRIND = args.includes('--callgrind');
// Collection on and off, and a dump of what was counted, in this process (callgrind_control talks to valgrind).
const callgrind = (...flags: string[]) => {
  if (CALLGRIND) execFileSync('callgrind_control', [...flags, String(process.pid)]);
};

const sim = await startSimProcess({
  speed: 1,
  seed: 7,
  scenario: { phases: { queued: 1000, in_progress: 3_600_000 }, outcome: 'completed' },
});
// Retries only for a socket the simulator closed while a step was slow (under valgrind); none happen otherwise.
const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 2 });
const runs = await createRunQueue({ connection: REDIS, name });
const jobs = [];
for (let i = 0; i < WARMUP + STEPS; i += 50) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(50, WARMUP + STEPS - i) }, () =>
      client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true }),
    ),
  );
  jobs.push(...batch.map((r) => ({ kind: 'response' as const, id: r.id })));
}
for (const j of jobs) await runs.watch(j);
await new Promise((r) => setTimeout(r, 600)); // past each watch's first delay

// Steps taken by hand hold no renewed lock: one that lasts the run (a step under valgrind is slow).
const worker = new Worker(name, null, { connection: REDIS, autorun: false, lockDuration: 3_600_000 });
await worker.waitUntilReady();
const redis = await worker.backend.client;
const tally = stateTally(redis, (type) => worker.toKey(type));
const poll = resolveBackoff(
  { initialDelayMs: 3_600_000, maxDelayMs: 3_600_000 },
  DEFAULT_POLL_BACKOFF,
  'poll',
);
const retry = resolveBackoff({ initialDelayMs: 1000, factor: 2, maxDelayMs: 30_000, jitter: 'full' });

const cpu = new Map<string, number>();
const cpuNow = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
async function phase<T>(label: string, work: () => Promise<T> | T): Promise<T> {
  const before = cpuNow();
  const result = await work();
  cpu.set(label, (cpu.get(label) ?? 0) + cpuNow() - before);
  return result;
}

// The retrieve's own CPU, measured inside the step (nothing else runs meanwhile), to take it out of the step's.
let retrieveUs = 0;
// biome-ignore lint/suspicious/noExplicitAny: any kind's adapter
const instrument = <A extends Record<string, any>>(adapter: A): A => ({
  ...adapter,
  async retrieve(...args: unknown[]) {
    const before = cpuNow();
    try {
      return await adapter.retrieve(...args);
    } finally {
      retrieveUs += cpuNow() - before;
    }
  },
});

let stepped = -WARMUP;
let started = cpuNow();
while (stepped < STEPS) {
  if (stepped === 0) {
    // The warm-up is over: count from here.
    callgrind('-i', 'on');
    cpu.clear();
    retrieveUs = 0;
    started = cpuNow();
  }
  const token = `bench-${stepped}`;
  const job = await phase('BullMQ: fetch the job (moveToActive)', () => worker.getNextJob(token));
  if (!job) continue;
  const id = String(job.id);
  const data = await phase('restore the data (parse, full object back)', () => {
    const parsed = parseWatchData(job.data, id);
    return withFullJob(parsed, parsed.snapshot ?? job.progress);
  });
  const cancelKey = worker.toKey(cancelKeyType(id));
  const inboxKey = worker.toKey(inboxKeyType(id));
  const { inbox } = await phase('read stop request, inbox, tally as queued (one round trip)', () =>
    readStep(redis, { cancel: cancelKey, inbox: inboxKey }, tally, { jobId: id, state: 'queued' }),
  );
  const before = retrieveUs;
  const result = await phase('runStep: restore machine, tick, read, apply, persist', () =>
    runStep(data, {
      client,
      tools: {},
      onToolError: 'report',
      now: Date.now,
      random: Math.random,
      poll,
      retry,
      save: (d) => job.updateData(storedForm(d)),
      signal: new AbortController().signal,
      webhooks: [],
      instrument,
    }),
  );
  cpu.set(
    'runStep: restore machine, tick, read, apply, persist',
    cpu.get('runStep: restore machine, tick, read, apply, persist')! - (retrieveUs - before),
  );
  if (result.next !== 'wait') throw new Error(`unexpected step result ${result.next}`);
  // The snapshot published before this step (stored whole or slim, as the code under test stores it).
  const published = data.snapshot ? currentSnapshot({ ...job, data } as typeof job) : undefined;
  const publish = published === undefined || changeKey(published) !== changeKey(result.snapshot);
  if (publish) data.snapshot = result.snapshot;
  await phase('write: data, notice, tally, moveToDelayed, inbox check (one round trip)', () =>
    writeStep(redis, worker.backend, job, stepKeys(worker, id), tally, {
      data: storedForm(data),
      ...(publish ? { progress: { state: result.snapshot.state } } : {}),
      tally: { jobId: id, state: result.snapshot.state },
      inbox: { key: inboxKey, taken: inbox.length },
      delayUntil: { at: Date.now() + result.delayMs, token },
    }),
  );
  stepped++;
}
const totalUs = cpuNow() - started;
callgrind('-d');
callgrind('-i', 'off');
if (CALLGRIND) {
  // The same reads alone, one at a time, with the same client.
  callgrind('-i', 'on');
  for (const j of jobs.slice(WARMUP)) await client.responses.retrieve(j.id);
  callgrind('-d');
  callgrind('-i', 'off');
}

const rows = [...cpu].map(([label, us]) => `| ${label} | ${(us / STEPS).toFixed(0)} µs |`);
console.log(`Command: \`npx tsx bench/queue-step.ts --steps ${STEPS}\`; load average (1 min) ${loadavg()[0]!.toFixed(1)}

| phase of one step (first step of an idle response watch) | CPU per step |
| --- | --- |
${rows.join('\n')}
| **the step beyond the retrieve** | **${((totalUs - retrieveUs) / STEPS).toFixed(0)} µs** |
| the retrieve (SDK request, response parse) | ${(retrieveUs / STEPS).toFixed(0)} µs |
`);
await worker.close();
await runs.obliterate();
await runs.close();
await sim.close();
process.exit(0);
