// The CPU-per-retrieve rows of bench/overhead.ts (issue 21 part 4): a poll watch against a bare SDK retrieve loop.
// The verdict is taken in one process: the bare loop and the watches in alternating windows (ABBA), a ratio per
// pair of adjacent windows, a few such processes, each after its JIT warm-up. The same in-process alternation then
// prices one request option alone: an AbortSignal per retrieve. The rows before them, each mode in a fresh process
// per round, are kept as they were measured before (the history), with the request variants of the middle rows.
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { startSimulator } from '../../src/sim/index.js';
import { bundle } from './overhead-bundle.js';

const MODES = ['bare', 'bare-signal', 'bare-spec', 'watch'] as const;
type Mode = (typeof MODES)[number];

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
  /** The in-process price of a signal per retrieve (bare against bare-signal), in as many processes and pairs. */
  signal: { processes: number; pairs: number };
}): Promise<{ markdown: string; ratio: number }> {
  const script = await bundle(new URL('./overhead-retrieve-cpu.ts', import.meta.url));
  // 300 jobs every second is 18,000 requests a minute, over the simulator's default 10,000 RPM: on a quiet
  // machine the modes run back to back fast enough for a create to meet a 429 and the round to fail.
  const sim = await startSimulator({ seed: 21, rateLimits: { rpm: 1_000_000 } });
  const t0 = performance.now();
  const rounds: RetrieveRound[] = [];
  const alternations: Alternation[] = [];
  const signalAlternations: Alternation[] = [];
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
    for (let p = 0; p < options.signal.processes; p++) {
      signalAlternations.push(await alternateIn(p, ['bare', 'bare-signal'], options.signal.pairs));
    }
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
  const signalWindows = signalAlternations.flatMap((a) => a.windows);
  /** The median of one figure over the windows of one mode. */
  const windowMedian = (of: AlternateWindow[], mode: Mode, figure: keyof AlternateWindow) =>
    median(of.filter((w) => w.mode === mode).map((w) => w[figure] as number));
  const pairRatios = alternations.flatMap((a) => a.ratios);
  const ratio = median(pairRatios);
  const signalRatios = signalAlternations.flatMap((a) => a.ratios);
  const signalInProcess = median(signalRatios);
  const x = (r: number) => `${r.toFixed(2)}×`;
  const verdict =
    ratio <= 1
      ? `Target met: ${x(ratio)} a bare SDK retrieve (≤ 1.0×), in one process.`
      : `Target missed by ${((ratio - 1) * 100).toFixed(0)} %: ${x(ratio)} a bare SDK retrieve (≤ 1.0×), in one process.`;
  const { processes, pairs, windowMs } = options.alternate;
  const us = (v: number) => `${v.toFixed(0)} µs`;
  const windowCells = (of: AlternateWindow[], mode: Mode) =>
    `${us(windowMedian(of, mode, 'microsPerRetrieve'))} | ${us(windowMedian(of, mode, 'mainMicros'))} (GC pauses ${us(windowMedian(of, mode, 'gcPauseMicros'))}) | ${us(windowMedian(of, mode, 'helperMicros'))}`;
  const { jitWarmupMs } = options.alternate;
  const markdown = `In one process, alternating windows, after each mode's JIT warm-up (the verdict, and the price of a signal):

| ${options.watches} jobs polled every ${options.everyMs / 1000} s (the simulator in another process) | CPU per retrieve (median of windows) | main thread | V8's helper threads | × bare (median of pairs) |
| --- | ---: | ---: | ---: | ---: |
| bare: the seed's loop, \`await client.responses.retrieve(id)\` and a status check | ${windowCells(windows, 'bare')} | 1.00× |
| \`watchRun\` + \`poll()\` (same schedule; default telemetry: API, no SDK) | ${windowCells(windows, 'watch')} | **${x(ratio)}** (${pairRatios.length} pairs) |
| bare (the signal's own processes) | ${windowCells(signalWindows, 'bare')} | 1.00× |
| bare, each retrieve given an \`AbortSignal\` of its own (what a poll's read carried until it went without one) | ${windowCells(signalWindows, 'bare-signal')} | ${x(signalInProcess)} (${signalRatios.length} pairs) |

${verdict} Pair ratios ${x(Math.min(...pairRatios))} to ${x(Math.max(...pairRatios))}; per process (median of its pairs) ${alternations.map((a) => x(median(a.ratios))).join(', ')}. A signal per retrieve: pair ratios ${x(Math.min(...signalRatios))} to ${x(Math.max(...signalRatios))}. Load average ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} while it ran.

Each fresh process, each mode (the history, measured as before but for a warm-up of ${(options.warmupMs / 1000).toFixed(0)} s):

| ${options.watches} jobs polled every ${options.everyMs / 1000} s | CPU per retrieve (median) | retrieves per round | × bare (median of rounds) |
| --- | ---: | ---: | ---: |
| bare | ${micros('bare').toFixed(1)} µs | ${requests('bare')} | 1.00× |
| bare, each retrieve given an \`AbortSignal\` of its own | ${micros('bare-signal').toFixed(1)} µs | ${requests('bare-signal')} | ${x(signalRatio)} |
| bare, through the kind's own retrieve as a watch calls it (\`.withResponse()\` for the headers, \`maxRetries: 0\`, no signal) | ${micros('bare-spec').toFixed(1)} µs | ${requests('bare-spec')} | ${x(specRatio)} |
| \`watchRun\` + \`poll()\` | ${micros('watch').toFixed(1)} µs | ${requests('watch')} | ${x(processRatio)} (per round ${processRatios.map((r) => r.toFixed(2)).join(', ')}) |

The verdict is measured within a process: ${processes} processes each run the bare loop and the watches in ${2 * pairs} alternating windows (bare, watch, watch, bare, …; every other process opens with the watches), and a ratio is the watch window's CPU per retrieve over the bare window's beside it, so the up-to-50 % swing from one process to the next on this machine cancels out. Before its windows, each process runs each mode unmeasured for ${(jitWarmupMs / 1000).toFixed(0)} s, until V8 has compiled its code. Each window then starts its ${options.watches} loops or watches staggered over a period, warms up at least 2 s (every job retrieved twice: a watch's actor starts at its first event, not a cost per retrieve), measures ${(windowMs / 1000).toFixed(0)} s (\`process.cpuUsage\`, user + system, requests counted at the SDK's \`fetch\`), then stops them all and waits until no request is in flight. The split by thread is read from \`/proc/self/task\` (10 ms ticks): the main thread, which runs the JavaScript and the collector's pauses (\`PerformanceObserver\` \`gc\`), and V8's helper threads (the optimising compiler, the collector's parallel and concurrent work). The signal's rows are the same alternation, ${options.signal.processes} more processes of ${2 * options.signal.pairs} windows. The fresh-process rows: ${options.rounds} rounds, each mode in a fresh process, interleaved (order alternating), each measuring ${(options.durationMs / 1000).toFixed(0)} s.`;
  return { markdown, ratio };
}
