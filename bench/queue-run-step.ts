// Benchmark: the CPU of runStep itself for a watch at rest (issue 21 part 3), on the machine's pure transition
// (src/queue/step/idle-step.ts) against every step on a restored actor (`actorOnly`), in one process, rounds
// alternating. No Redis, no sockets: the client's fetch answers at once with the same in-progress response, so what
// is measured is the step (and the SDK's handling of an answer, the same in both modes).
// Run: npx tsx bench/queue-run-step.ts [--steps 10000 --rounds 6]. Prints a table; writes nothing.
import { loadavg } from 'node:os';
import OpenAI from 'openai';
import { runStep, type StepOptions } from '../src/queue/step/step.js';
import { newWatchData } from '../src/queue/watch-data.js';
import { resolveBackoff } from '../src/sources/backoff.js';
import { option } from './lib/args.js';

const STEPS = option('steps', 10_000);
const ROUNDS = option('rounds', 6);
const start = Date.UTC(2026, 0, 1);
let now = start;
const body = JSON.stringify({
  id: 'resp_bench',
  object: 'response',
  created_at: start / 1000,
  status: 'in_progress',
  background: true,
  model: 'gpt-4o-mini',
  output: [],
  error: null,
  incomplete_details: null,
  metadata: {},
  tools: [],
});
const client = new OpenAI({
  apiKey: 'bench',
  baseURL: 'http://bench.invalid/v1',
  maxRetries: 0,
  fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
});
const options = (actorOnly: boolean): StepOptions => ({
  client,
  tools: {},
  onToolError: 'report',
  now: () => now,
  random: () => 0.5,
  retry: resolveBackoff({ initialDelayMs: 1000, factor: 2, maxDelayMs: 30_000, jitter: 'full' }),
  save: async () => {},
  signal: new AbortController().signal,
  actorOnly,
});

/** µs of CPU per step over `steps` steps of one watch that stays in progress (a year's deadline). */
async function measure(actorOnly: boolean, steps: number): Promise<number> {
  const data = newWatchData({ kind: 'response', id: 'resp_bench' }, now, 365 * 86_400_000);
  const opts = options(actorOnly);
  for (let i = 0; i < 200; i++) {
    now += 1000;
    await runStep(data, opts);
  }
  const before = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    now += 1000;
    await runStep(data, opts);
  }
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / steps;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const actor: number[] = [];
const pure: number[] = [];
await measure(true, STEPS);
await measure(false, STEPS);
for (let round = 0; round < ROUNDS; round++) {
  // ABBA: neither mode always runs second.
  const order = round % 2 ? [false, true] : [true, false];
  for (const actorOnly of order) (actorOnly ? actor : pure).push(await measure(actorOnly, STEPS));
}
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
console.log(`| runStep of a watch at rest (${STEPS.toLocaleString('en')} steps a round, ${ROUNDS} rounds) | CPU per step (median) | rounds |
| --- | ---: | --- |
| every step on a restored actor (\`actorOnly\`) | ${median(actor).toFixed(0)} µs | ${fmt(actor)} |
| the pure transition | ${median(pure).toFixed(0)} µs | ${fmt(pure)} |

Pure ÷ actor: ${(median(pure) / median(actor)).toFixed(2)}×; load average ${loadavg()[0]!.toFixed(1)}.`);
