// The CPU-per-retrieve rows of bench/overhead.ts (issue 21 part 4): a poll watch against a bare SDK retrieve loop.
// The verdict is taken in one process: the bare loop and the watches in alternating windows (ABBA), a ratio per
// pair of adjacent windows, a few such processes, each after its JIT warm-up. The same in-process alternation then
// prices the repeats a poll watch leaves out of the machine (a watch whose every answer goes through it, against
// one that skips the repeats). Then the same two modes side by side: two processes started together, measuring the
// same seconds, with the bare loop against itself as the control of that method. The rows before them, each mode in
// a fresh process per round, are kept as they were measured before (the history), with the request variants of the
// middle rows.
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { startSimulator } from '../../src/sim/index.js';
import { bundle } from './overhead-bundle.js';

const MODES = ['bare', 'bare-signal', 'bare-spec', 'watch'] as const;
type Mode = (typeof MODES)[number] | 'watch-every';

export interface RetrieveRound {
  mode: Mode;
  requests: number;
  microsPerRetrieve: number;
}

/** One window of the `alternate` mode (per retrieve: the process's CPU, its main thread's, V8's helper threads'). */
interface AlternateWindow {
  mode: Mode;
  requests: number;
  microsPerRetrieve: number;
  mainMicros: number;
  helperMicros: number;
  gcPauseMicros: number;
  heapBefore: number;
}

/** One process of the `alternate` mode: its windows in the order run, and compared ÷ base per pair of windows. */
interface Alternation {
  modes: [Mode, Mode];
  windows: AlternateWindow[];
  ratios: number[];
}

/** One window of the `twin` mode: when it began (a multiple of the window on the wall clock) and its CPU. */
interface TwinWindow {
  at: number;
  requests: number;
  microsPerRetrieve: number;
  mainMicros: number;
  helperMicros: number;
  /** The main thread's waits that blocked, per request: the event loop's sleeps, and locks. */
  waitsPerRetrieve: number;
}

/** Two processes side by side: compared ÷ base for each window both measured. */
interface Twins {
  modes: [Mode, Mode];
  base: TwinWindow[];
  compared: TwinWindow[];
  ratios: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Runs the rounds and returns the markdown of the rows, with the ratio and the goal (≤ 1.0×). */
export async function retrieveOverhead(options: {
  rounds: number;
  watches: number;
  everyMs: number;
  durationMs: number;
  /** Warm-up of the fresh-process rows before they measure. */
  warmupMs: number;
  /** The in-process comparison: `processes` processes of `pairs` pairs of windows, each measured over `windowMs`. */
  alternate: { processes: number; pairs: number; windowMs: number; jitWarmupMs: number };
  /** The in-process price of the machine's repeats (watch-every against watch), in as many processes and pairs. */
  every: { processes: number; pairs: number };
  /** Side by side: `runs` pairs of processes (and one of the bare loop twice), `windows` windows of `windowMs`. */
  twin: { runs: number; windows: number; windowMs: number };
}): Promise<{ markdown: string; ratio: number }> {
  const script = await bundle(new URL('./overhead-retrieve-cpu.ts', import.meta.url));
  // 300 jobs every second is 18,000 requests a minute, over the simulator's default 10,000 RPM: on a quiet
  // machine the modes run back to back fast enough for a create to meet a 429 and the round to fail.
  const sim = await startSimulator({ seed: 21, rateLimits: { rpm: 1_000_000 } });
  const t0 = performance.now();
  const rounds: RetrieveRound[] = [];
  const alternations: Alternation[] = [];
  const everyAlternations: Alternation[] = [];
  const twins: Twins[] = [];
  const controls: Twins[] = [];
  const loads: number[] = [];
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const mode of round % 2 ? [...MODES].reverse() : MODES) {
        // Asynchronously: the simulator answers from this process's event loop.
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [
            script,
            mode,
            sim.baseURL,
            String(options.watches),
            String(options.everyMs),
            String(options.durationMs),
          ],
          { env: { ...process.env, RETRIEVE_WARMUP_MS: String(options.warmupMs) } },
        );
        const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as RetrieveRound;
        loads.push(loadavg()[0]!);
        console.error(
          `  retrieve cpu ${mode}: ${r.microsPerRetrieve.toFixed(1)} µs (${r.requests} requests)`,
        );
        rounds.push(r);
      }
    }
    const alternateIn = async (p: number, modes: [Mode, Mode], pairs: number): Promise<Alternation> => {
      // Which mode opens the process alternates too: the first window meets the coldest JIT.
      const first = modes[p % 2]!;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          script,
          'alternate',
          sim.baseURL,
          String(options.watches),
          String(options.everyMs),
          String(options.alternate.windowMs),
          String(pairs),
          first,
          modes.join(','),
        ],
        { env: { ...process.env, RETRIEVE_JIT_WARMUP_MS: String(options.alternate.jitWarmupMs) } },
      );
      const a = JSON.parse(stdout.trim().split('\n').at(-1)!) as Alternation;
      loads.push(loadavg()[0]!);
      const w = (x: AlternateWindow) =>
        `${x.mode} ${x.microsPerRetrieve.toFixed(0)} (main ${x.mainMicros.toFixed(0)}, helpers ${x.helperMicros.toFixed(0)})`;
      console.error(
        `  retrieve cpu alternate (${first} first): ${a.windows.map(w).join(', ')} µs; ${modes[1]} ÷ ${modes[0]} ${a.ratios.map((r) => r.toFixed(2)).join(', ')}; heap at each window's start ${a.windows.map((x) => (x.heapBefore / 2 ** 20).toFixed(1)).join(', ')} MiB`,
      );
      return a;
    };
    for (let p = 0; p < options.alternate.processes; p++) {
      alternations.push(await alternateIn(p, ['bare', 'watch'], options.alternate.pairs));
    }
    for (let p = 0; p < options.every.processes; p++) {
      everyAlternations.push(await alternateIn(p, ['watch-every', 'watch'], options.every.pairs));
    }
    const twinOf = async (modes: [Mode, Mode]): Promise<Twins> => {
      const { windows, windowMs } = options.twin;
      const one = (mode: Mode) =>
        promisify(execFile)(
          process.execPath,
          [
            script,
            'twin',
            sim.baseURL,
            String(options.watches),
            String(options.everyMs),
            String(windowMs),
            String(windows),
            mode,
          ],
          { env: { ...process.env, RETRIEVE_JIT_WARMUP_MS: String(options.alternate.jitWarmupMs) } },
        ).then(({ stdout }) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { windows: TwinWindow[] });
      const [base, compared] = await Promise.all([one(modes[0]), one(modes[1])]);
      const both = base.windows.flatMap((b) => {
        const c = compared.windows.find((w) => w.at === b.at);
        return c ? [{ b, c }] : [];
      });
      loads.push(loadavg()[0]!);
      const t: Twins = {
        modes,
        base: both.map((x) => x.b),
        compared: both.map((x) => x.c),
        ratios: both.map((x) => x.c.microsPerRetrieve / x.b.microsPerRetrieve),
      };
      const waits = (w: TwinWindow[]) => median(w.map((x) => x.waitsPerRetrieve)).toFixed(2);
      console.error(
        `  retrieve cpu side by side (${modes.join(', ')}): ${both.map((x) => `${x.b.microsPerRetrieve.toFixed(0)}/${x.c.microsPerRetrieve.toFixed(0)}`).join(', ')} µs; median ${median(t.ratios).toFixed(3)}; wake-ups per retrieve ${waits(t.base)}/${waits(t.compared)}`,
      );
      return t;
    };
    for (let r = 0; r < options.twin.runs; r++) twins.push(await twinOf(['bare', 'watch']));
    controls.push(await twinOf(['bare', 'bare']));
  } finally {
    await sim.close();
  }
  console.error(`  retrieve rows took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const of = (mode: Mode) => rounds.filter((r) => r.mode === mode);
  const ratiosOf = (mode: Mode) =>
    of(mode).map((r, i) => r.microsPerRetrieve / of('bare')[i]!.microsPerRetrieve);
  const processRatios = ratiosOf('watch');
  const processRatio = median(processRatios);
  const signalRatio = median(ratiosOf('bare-signal'));
  const specRatio = median(ratiosOf('bare-spec'));
  const micros = (mode: Mode) => median(of(mode).map((r) => r.microsPerRetrieve));
  const requests = (mode: Mode) => median(of(mode).map((r) => r.requests));
  const windows = alternations.flatMap((a) => a.windows);
  const everyWindows = everyAlternations.flatMap((a) => a.windows);
  /** The median of one figure over the windows of one mode. */
  const windowMedian = (of: AlternateWindow[], mode: Mode, figure: keyof AlternateWindow) =>
    median(of.filter((w) => w.mode === mode).map((w) => w[figure] as number));
  const pairRatios = alternations.flatMap((a) => a.ratios);
  const ratio = median(pairRatios);
  const everyRatios = everyAlternations.flatMap((a) => a.ratios);
  const everyInProcess = median(everyRatios);
  const twinRatios = twins.map((t) => median(t.ratios));
  const twinRatio = median(twinRatios);
  const controlRatios = controls.map((t) => median(t.ratios));
  const twinWindows = (side: 'base' | 'compared', of: Twins[]) => of.flatMap((t) => t[side]);
  const twinCells = (w: TwinWindow[]) =>
    `${us(median(w.map((x) => x.microsPerRetrieve)))} | ${us(median(w.map((x) => x.mainMicros)))} | ${us(median(w.map((x) => x.helperMicros)))} | ${median(w.map((x) => x.waitsPerRetrieve)).toFixed(2)}`;
  const x = (r: number) => `${r.toFixed(2)}×`;
  const us = (v: number) => `${v.toFixed(0)} µs`;
  // Either method alone moves by more than the goal's margin from one run to the next on this machine: the goal
  // holds when both say so.
  const worst = Math.max(ratio, twinRatio);
  const verdict =
    worst <= 1
      ? `Target met: ${x(ratio)} a bare SDK retrieve in one process and ${x(twinRatio)} side by side (≤ 1.0× in both).`
      : `Target missed by ${((worst - 1) * 100).toFixed(0)} %: ${x(ratio)} a bare SDK retrieve in one process and ${x(twinRatio)} side by side (≤ 1.0× in both).`;
  const { processes, pairs, windowMs } = options.alternate;
  const windowCells = (of: AlternateWindow[], mode: Mode) =>
    `${us(windowMedian(of, mode, 'microsPerRetrieve'))} | ${us(windowMedian(of, mode, 'mainMicros'))} (GC pauses ${us(windowMedian(of, mode, 'gcPauseMicros'))}) | ${us(windowMedian(of, mode, 'helperMicros'))}`;
  const { jitWarmupMs } = options.alternate;
  const { runs, windows: twinCount, windowMs: twinWindowMs } = options.twin;
  const markdown = `In one process, alternating windows, after each mode's JIT warm-up (the verdict, and the price of the repeats a watch leaves out of the machine):

| ${options.watches} jobs polled every ${options.everyMs / 1000} s (the simulator in another process) | CPU per retrieve (median of windows) | main thread | V8's helper threads | × bare (median of pairs) |
| --- | ---: | ---: | ---: | ---: |
| bare: the seed's loop, \`await client.responses.retrieve(id)\` and a status check | ${windowCells(windows, 'bare')} | 1.00× |
| \`watchRun\` + \`poll()\` (same schedule; default telemetry: API, no SDK) | ${windowCells(windows, 'watch')} | **${x(ratio)}** (${pairRatios.length} pairs) |
| \`watchRun\` with a copy of the poll (\`{ ...poll() }\`, a source of one's own): every answer through the machine, repeats too | ${windowCells(everyWindows, 'watch-every')} | 1.00× |
| \`watchRun\` + \`poll()\`, in the same processes: a repeat left out of the machine | ${windowCells(everyWindows, 'watch')} | ${x(everyInProcess)} (${everyRatios.length} pairs) |

${verdict} Pair ratios ${x(Math.min(...pairRatios))} to ${x(Math.max(...pairRatios))}; per process (median of its pairs) ${alternations.map((a) => x(median(a.ratios))).join(', ')}. Leaving the repeats out of the machine: pair ratios ${x(Math.min(...everyRatios))} to ${x(Math.max(...everyRatios))}. Load average ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} while it ran.

Side by side: ${runs} times two processes started together, one per mode, each measuring the same ${twinCount} windows of ${(twinWindowMs / 1000).toFixed(0)} s (on the wall clock) after its JIT warm-up; a ratio per window both measured, the median per pair of processes. A wake-up is a wait of the main thread that blocked (its voluntary context switches, from \`/proc\`): the event loop asleep in \`epoll_wait\` until its next timer or answer, or a lock:

| ${options.watches} jobs polled every ${options.everyMs / 1000} s, side by side | CPU per retrieve (median of windows) | main thread | V8's helper threads | wake-ups per retrieve | × bare (median per pair of processes) |
| --- | ---: | ---: | ---: | ---: | ---: |
| bare | ${twinCells(twinWindows('base', twins))} | 1.00× |
| \`watchRun\` + \`poll()\` | ${twinCells(twinWindows('compared', twins))} | **${x(twinRatio)}** (${twinRatios.map(x).join(', ')}) |
| bare beside bare (the method's own spread) | ${twinCells(twinWindows('compared', controls))} | ${controlRatios.map(x).join(', ')} |

Each fresh process, each mode (the history, measured as before but for a warm-up of ${(options.warmupMs / 1000).toFixed(0)} s):

| ${options.watches} jobs polled every ${options.everyMs / 1000} s | CPU per retrieve (median) | retrieves per round | × bare (median of rounds) |
| --- | ---: | ---: | ---: |
| bare | ${micros('bare').toFixed(1)} µs | ${requests('bare')} | 1.00× |
| bare, each retrieve given an \`AbortSignal\` of its own | ${micros('bare-signal').toFixed(1)} µs | ${requests('bare-signal')} | ${x(signalRatio)} |
| bare, through the kind's own retrieve as a watch calls it (\`.withResponse()\` for the headers, \`maxRetries: 0\`, no signal) | ${micros('bare-spec').toFixed(1)} µs | ${requests('bare-spec')} | ${x(specRatio)} |
| \`watchRun\` + \`poll()\` | ${micros('watch').toFixed(1)} µs | ${requests('watch')} | ${x(processRatio)} (per round ${processRatios.map((r) => r.toFixed(2)).join(', ')}) |

The verdict is measured within a process: ${processes} processes each run the bare loop and the watches in ${2 * pairs} alternating windows (bare, watch, watch, bare, …; every other process opens with the watches), and a ratio is the watch window's CPU per retrieve over the bare window's beside it, so the up-to-50 % swing from one process to the next on this machine cancels out. Before its windows, each process runs each mode unmeasured for ${(jitWarmupMs / 1000).toFixed(0)} s, until V8 has compiled its code. Each window then starts its ${options.watches} loops or watches staggered over a period, warms up at least 2 s (every job retrieved twice: a watch's actor starts at its first event, not a cost per retrieve), measures ${(windowMs / 1000).toFixed(0)} s (\`process.cpuUsage\`, user + system, requests counted at the SDK's \`fetch\`), then stops them all and waits until no request is in flight. The split by thread is read from \`/proc/self/task\` (10 ms ticks): the main thread, which runs the JavaScript and the collector's pauses (\`PerformanceObserver\` \`gc\`), and V8's helper threads (the optimising compiler, the collector's parallel and concurrent work). The rows of the repeats are the same alternation, ${options.every.processes} more processes of ${2 * options.every.pairs} windows. The fresh-process rows: ${options.rounds} rounds, each mode in a fresh process, interleaved (order alternating), each measuring ${(options.durationMs / 1000).toFixed(0)} s.`;
  return { markdown, ratio: worst };
}
