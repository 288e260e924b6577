// CPU per retrieve of a poll watch against a bare SDK retrieve loop, for bench/lib/overhead-retrieve.ts (issue 21
// part 4): run bundled as `node overhead-retrieve-cpu.mjs <mode> <baseURL> <watches> <everyMs> <ms>`; prints one
// JSON line. Modes:
// - bare: the seed's loop per job: sleep, `client.responses.retrieve(id)`, look at the status (the baseline);
// - bare-signal: the same, each retrieve given an AbortSignal of its own (what a watch needs to abort one request);
// - bare-spec: the same loop calling the kind's own retrieve, as a watch does (`.withResponse()` for the headers,
//   `maxRetries: 0`, a signal per request);
// - watch: `watchRun` + `poll()` on the same fixed schedule, one subscriber per watch (the defaults otherwise).
// Only this process's CPU is measured (process.cpuUsage): the simulator runs in the parent.
// Written `<mode> <baseURL> n=<count>` instead, it runs COUNT_WATCHES watches (slow enough for valgrind to keep up
// with their schedule) until <count> retrieves past the warm-up were answered, and exits: the instruction-count
// rows run it so under callgrind at two counts (bench/lib/overhead-telemetry-instr.ts), whose difference is the
// instructions per retrieve, start-up, module loading and the creates cancelled out.
import OpenAI from 'openai';
import type { Subscription } from 'rxjs';
import { poll, watchRun } from '../../src/index.js';
import { adapters } from '../../src/kinds/index.js';
import { createIdleResponses } from './idle-responses.js';

const args = process.argv.slice(2);
const COUNT_WATCHES = 10;
const target = args[2]?.startsWith('n=') ? Number(args[2].slice(2)) : undefined;
const [mode = 'bare', baseURL = '', watches = '300', every = '1000', duration = '10000'] =
  target === undefined ? args : [args[0], args[1], String(COUNT_WATCHES), '1000'];
const WATCHES = Number(watches);
const EVERY_MS = Number(every);
const WARMUP_MS = 2000;

let requests = 0;
/** Count mode: retrieves answered since the warm-up ended (undefined while it lasts). */
let answered: number | undefined;
const client = new OpenAI({
  baseURL,
  apiKey: 'sim',
  maxRetries: 0,
  // Counts requests the same way in every mode.
  fetch: async (url, init) => {
    requests++;
    if (target === undefined) return fetch(url, init);
    const response = await fetch(url, init);
    if (answered !== undefined && ++answered === target) {
      // Count mode: exit once the target's answer arrived (up to WATCHES others in flight, as at any count).
      queueMicrotask(() => {
        console.log(JSON.stringify({ mode, requests: answered }));
        process.exit(0);
      });
    }
    return response;
  },
});
const ids = await createIdleResponses(client, WATCHES);

let running = true;
const subs: Subscription[] = [];
if (mode === 'bare-spec') {
  const loop = async (id: string) => {
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
      if (!running) return;
      // A keep-alive socket the server closed fails a request now and then: the loop goes on, as the seed's would.
      const job = await adapters.response
        .retrieve(client, { kind: 'response', id }, { signal: new AbortController().signal })
        .then((r) => r.job)
        .catch(() => undefined);
      if (job?.status === 'completed' || job?.status === 'failed' || job?.status === 'cancelled') return;
    }
  };
  for (const [i, id] of ids.entries()) setTimeout(() => void loop(id), (i * EVERY_MS) / WATCHES);
} else if (mode === 'bare' || mode === 'bare-signal') {
  const withSignal = mode === 'bare-signal';
  // The seed's loop, with the same first delay and spacing as the watches (staggered the same way below).
  const loop = async (id: string) => {
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
      if (!running) return;
      const job = await client.responses
        .retrieve(id, undefined, withSignal ? { signal: new AbortController().signal } : undefined)
        .catch(() => undefined);
      if (job?.status === 'completed' || job?.status === 'failed' || job?.status === 'cancelled') return;
    }
  };
  for (const [i, id] of ids.entries()) setTimeout(() => void loop(id), (i * EVERY_MS) / WATCHES);
} else {
  const fixed = { initialDelayMs: EVERY_MS, factor: 1, maxDelayMs: EVERY_MS, jitter: 'none' } as const;
  const source = poll(fixed);
  for (const [i, id] of ids.entries()) {
    setTimeout(
      () => subs.push(watchRun({ client, job: { kind: 'response', id }, source }).subscribe(() => {})),
      (i * EVERY_MS) / WATCHES,
    );
  }
}
// Warm up until every watch has retrieved twice (its actor, started lazily at the first event, is running: a start
// is not a cost per retrieve), and at least WARMUP_MS; then measure the steady state.
const created = requests;
await new Promise((r) => setTimeout(r, WARMUP_MS));
while (requests - created < 2 * WATCHES) await new Promise((r) => setTimeout(r, 100));
if (target !== undefined) {
  answered = 0;
  await new Promise(() => {});
}
const cpu0 = process.cpuUsage();
const requests0 = requests;
await new Promise((r) => setTimeout(r, Number(duration)));
const cpu = process.cpuUsage(cpu0);
const sent = requests - requests0;
running = false;
for (const s of subs) s.unsubscribe();
console.log(JSON.stringify({ mode, requests: sent, microsPerRetrieve: (cpu.user + cpu.system) / sent }));
process.exit(0);
