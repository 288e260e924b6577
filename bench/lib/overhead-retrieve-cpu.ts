// CPU per retrieve of a poll watch against a bare SDK retrieve loop, for bench/lib/overhead-retrieve.ts (issue 21
// part 4): run bundled as `node overhead-retrieve-cpu.mjs <mode> <baseURL> <watches> <everyMs> <ms>`; prints one
// JSON line. Modes:
// - bare: the seed's loop per job: sleep, `client.responses.retrieve(id)`, look at the status (the baseline);
// - bare-signal: the same, each retrieve given an AbortSignal of its own (what a poll's read carried until it went
//   without one);
// - bare-spec: the same loop calling the kind's own retrieve, as a watch does (`.withResponse()` for the headers,
//   `maxRetries: 0`, no signal);
// - watch: `watchRun` + `poll()` on the same fixed schedule, one subscriber per watch (the defaults otherwise);
// - watch-every: the same, with a copy of the poll (`{ ...poll(...) }`, a source of one's own to the watch): every
//   answer goes through the machine, the repeats of an unchanged job too (src/watch/repeat.ts).
// - alternate: two modes in this one process (`bare` and `watch` unless a ninth argument names others, baseline
//   first), in windows of <ms> each, `<pairs>` pairs in ABBA order (`node overhead-retrieve-cpu.mjs alternate
//   <baseURL> <watches> <everyMs> <ms> <pairs> <first> [<base>,<compared>]`): the same mode measured in two fresh
//   processes moves by up to 50 % on a shared machine, so a ratio across processes says more about the processes
//   than the code; two windows a few seconds apart in one process share its JIT, heap layout and CPU placement.
//   Each mode first runs unmeasured for RETRIEVE_JIT_WARMUP_MS (15 s unless set), until V8 has compiled its code.
// - twin: one mode, measured in windows aligned on the wall clock (`node overhead-retrieve-cpu.mjs twin <baseURL>
//   <watches> <everyMs> <windowMs> <windows> <mode>`), after RETRIEVE_JIT_WARMUP_MS: two such processes started
//   together, one per mode, measure the same seconds side by side, so what the machine does meanwhile (other work,
//   the simulator's pace) weighs on both alike.
// Only this process's CPU is measured (process.cpuUsage): the simulator runs in the parent. Each measure also splits
// it by thread (/proc): the main thread, and V8's helper threads (the optimising compiler, the collector's parallel
// and concurrent work), with the collector's pauses on the main thread (PerformanceObserver 'gc').
// The fresh-process modes warm up RETRIEVE_WARMUP_MS (2 s unless set) before they measure.
// Written `<mode> <baseURL> n=<count>` instead, it runs COUNT_WATCHES watches (slow enough for valgrind to keep up
// with their schedule) until <count> retrieves past the warm-up were answered, and exits: the instruction-count
// rows run it so under callgrind at two counts (bench/lib/overhead-telemetry-instr.ts), whose difference is the
// instructions per retrieve, start-up, module loading and the creates cancelled out.
import { readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import OpenAI from 'openai';
import type { Subscription } from 'rxjs';
import { poll, watchRun } from '../../src/index.js';
import { adapters } from '../../src/kinds/index.js';
import { createIdleResponses } from './idle-responses.js';

type Mode = 'bare' | 'bare-signal' | 'bare-spec' | 'watch' | 'watch-every';

const args = process.argv.slice(2);
// The steady-state instruction counts (overhead-retrieve-instr.ts) run more, long enough to leave V8's compiler behind.
const COUNT_WATCHES = Number(process.env.RETRIEVE_COUNT_WATCHES ?? 10);
const target = args[2]?.startsWith('n=') ? Number(args[2].slice(2)) : undefined;
const [
  mode = 'bare',
  baseURL = '',
  watches = '300',
  every = '1000',
  duration = '10000',
  pairs = '4',
  first = 'bare',
  modes = 'bare,watch',
] = target === undefined ? args : [args[0], args[1], String(COUNT_WATCHES), '1000'];
const WATCHES = Number(watches);
const EVERY_MS = Number(every);
const WARMUP_MS = Number(process.env.RETRIEVE_WARMUP_MS ?? 2000);
const alternate = mode === 'alternate';
/** The alternate mode's unmeasured run of each mode before its windows. */
const JIT_WARMUP_MS = Number(process.env.RETRIEVE_JIT_WARMUP_MS ?? 15_000);

let requests = 0;
/** Requests whose fetch has not settled (alternate mode: a window ends when none is left). */
let inFlight = 0;
/** Count mode: retrieves answered since the warm-up ended (undefined while it lasts). */
let answered: number | undefined;
const client = new OpenAI({
  baseURL,
  apiKey: 'sim',
  maxRetries: 0,
  // Counts requests the same way in every mode.
  fetch: async (url, init) => {
    requests++;
    if (alternate) {
      // Both modes of the alternation pay for this count alike.
      inFlight++;
      return fetch(url, init).finally(() => inFlight--);
    }
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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts one loop or watch per job, staggered over one period, and returns what stops them all: bare loops end at
 * their next wake-up (their request in flight answered), watches are unsubscribed (which aborts a request in
 * flight); it resolves once no request is left in flight.
 */
function start(which: Mode): () => Promise<void> {
  const state = { running: true };
  const loops: Promise<void>[] = [];
  const subs: Subscription[] = [];
  let loop: ((id: string) => Promise<void>) | undefined;
  if (which === 'bare-spec') {
    loop = async (id: string) => {
      while (state.running) {
        await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
        if (!state.running) return;
        // A keep-alive socket the server closed fails a request now and then: the loop goes on, as the seed's would.
        const job = await adapters.response
          .retrieve(client, { kind: 'response', id }, {})
          .then((r) => r.job)
          .catch(() => undefined);
        if (job?.status === 'completed' || job?.status === 'failed' || job?.status === 'cancelled') return;
      }
    };
  } else if (which === 'bare' || which === 'bare-signal') {
    const withSignal = which === 'bare-signal';
    // The seed's loop, with the same first delay and spacing as the watches (staggered the same way below).
    loop = async (id: string) => {
      while (state.running) {
        await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
        if (!state.running) return;
        const job = await client.responses
          .retrieve(id, undefined, withSignal ? { signal: new AbortController().signal } : undefined)
          .catch(() => undefined);
        if (job?.status === 'completed' || job?.status === 'failed' || job?.status === 'cancelled') return;
      }
    };
  }
  const fixed = { initialDelayMs: EVERY_MS, factor: 1, maxDelayMs: EVERY_MS, jitter: 'none' } as const;
  const source = poll(fixed);
  const every = { ...source };
  const starts = ids.map((id, i) =>
    setTimeout(
      loop
        ? () => loops.push(loop(id))
        : () =>
            subs.push(
              watchRun({
                client,
                job: { kind: 'response', id },
                source: which === 'watch-every' ? every : source,
              }).subscribe(() => {}),
            ),
      (i * EVERY_MS) / WATCHES,
    ),
  );
  return async () => {
    state.running = false;
    for (const t of starts) clearTimeout(t);
    for (const s of subs) s.unsubscribe();
    await Promise.all(loops);
    while (inFlight > 0) await sleep(10);
  };
}

/**
 * Waits until every job has been retrieved twice since `from` (a watch's actor, started lazily at the first event,
 * is running: a start is not a cost per retrieve), and at least WARMUP_MS.
 */
async function warmUp(from: number): Promise<void> {
  await sleep(WARMUP_MS);
  while (requests - from < 2 * WATCHES) await sleep(100);
}

/** CPU ticks (user + system, 10 ms each) of the main thread and of all the others, from /proc (Linux). */
function threadTicks(): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // a thread that ended between the listing and the read
    }
    // utime and stime: the 14th and 15th fields, after the command name in parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (Number(tid) === process.pid) main += ticks;
    else others += ticks;
  }
  return { main, others };
}

/**
 * How many times the main thread has blocked (its voluntary context switches, from /proc: Linux): the event loop
 * asleep in `epoll_wait` until its next timer or answer, and locks (the collector's helpers joined).
 */
function mainWaits(): number {
  const status = readFileSync(`/proc/self/task/${process.pid}/status`, 'utf8');
  return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
}

/** The collector's pauses on the main thread, in ms, summed as they are reported. */
let gcPauseMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauseMs += e.duration;
}).observe({ entryTypes: ['gc'] });

interface Measure {
  requests: number;
  /** This process's CPU (user + system) per request sent. */
  microsPerRetrieve: number;
  /** Of which the main thread's, and V8's helper threads'. */
  mainMicros: number;
  helperMicros: number;
  /** The collector's pauses on the main thread (part of mainMicros). */
  gcPauseMicros: number;
  /** The main thread's waits that blocked (mostly the event loop's sleeps), per request sent. */
  waitsPerRetrieve: number;
}

/** This process's CPU per request sent over `ms`. */
async function measure(ms: number): Promise<Measure> {
  const cpu0 = process.cpuUsage();
  const ticks0 = threadTicks();
  const requests0 = requests;
  const gc0 = gcPauseMs;
  const waits0 = mainWaits();
  await sleep(ms);
  const waits = mainWaits() - waits0;
  const cpu = process.cpuUsage(cpu0);
  const ticks = threadTicks();
  const sent = requests - requests0;
  return {
    requests: sent,
    microsPerRetrieve: (cpu.user + cpu.system) / sent,
    mainMicros: ((ticks.main - ticks0.main) * 10_000) / sent,
    helperMicros: ((ticks.others - ticks0.others) * 10_000) / sent,
    gcPauseMicros: ((gcPauseMs - gc0) * 1000) / sent,
    waitsPerRetrieve: waits / sent,
  };
}

if (mode === 'twin') {
  const which = first as Mode;
  const windowMs = Number(duration);
  start(which);
  await sleep(JIT_WARMUP_MS);
  const windows: (Measure & { at: number })[] = [];
  // Windows start on multiples of windowMs of the wall clock: the twin's windows are the same seconds.
  await sleep(windowMs - (Date.now() % windowMs));
  for (let i = 0; i < Number(pairs); i++) {
    const at = Math.round(Date.now() / windowMs) * windowMs;
    windows.push({ at, ...(await measure(at + windowMs - Date.now())) });
  }
  console.log(JSON.stringify({ mode: which, windows }));
  process.exit(0);
}

if (alternate) {
  // The two modes compared, baseline first.
  const [base, compared] = modes.split(',') as [Mode, Mode];
  const other: Mode = first === base ? compared : base;
  // ABBA: A B, B A, A B, ...: a drift over the process's life (the JIT, the heap growing, other load) raises one
  // pair's ratio as much as it lowers the next one's.
  const order = Array.from({ length: Number(pairs) }, (_, p) =>
    p % 2 ? [other, first as Mode] : [first as Mode, other],
  ).flat();
  // Each mode runs once, unmeasured, until V8 has compiled its code. With only the 2 s warm-up of each window, V8's
  // optimising compiler was still at work in every window on its helper threads: a third of the CPU measured, and
  // more for the watch, which brings more code to compile. A compile is paid once per process, not per retrieve.
  for (const which of [first as Mode, other]) {
    const stop = start(which);
    await sleep(JIT_WARMUP_MS);
    await stop();
  }
  // No global.gc() between windows: a forced full collection before each window made the windows after it 1.5 to 2
  // times as costly, in both modes, most of it on V8's helper threads.
  const windows: (Measure & { mode: Mode; heapBefore: number })[] = [];
  for (const which of order) {
    // The heap each window starts from: one that grows from pair to pair would mean a stopped window left
    // something behind.
    const heapBefore = process.memoryUsage().heapUsed;
    const stop = start(which);
    await warmUp(requests);
    windows.push({ mode: which, ...(await measure(Number(duration))), heapBefore });
    await stop();
  }
  const ratios = Array.from({ length: Number(pairs) }, (_, p) => {
    const pair = windows.slice(2 * p, 2 * p + 2);
    const of = (m: Mode) => pair.find((w) => w.mode === m)!.microsPerRetrieve;
    return of(compared) / of(base);
  });
  console.log(JSON.stringify({ mode, modes: [base, compared], windows, ratios }));
  process.exit(0);
}

start(mode as Mode);
await warmUp(requests);
if (target !== undefined) {
  // Tells overhead-retrieve-instr.ts to switch callgrind's instrumentation on: the count starts here.
  if (process.env.RETRIEVE_SAY_WARM) console.log('warm');
  answered = 0;
  await new Promise(() => {});
}
const r = await measure(Number(duration));
console.log(JSON.stringify({ mode, ...r }));
process.exit(0);
