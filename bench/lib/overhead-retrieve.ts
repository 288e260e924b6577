// The CPU-per-retrieve rows of bench/overhead.ts (issue 21 part 4): a poll watch against a bare SDK retrieve loop.
// The verdict is taken in one process: the bare loop and the watches in alternating windows (ABBA), a ratio per
// pair of adjacent windows, a few such processes. The rows before it, each mode in a fresh process per round, are
// kept as they were measured before (the history), with the request variants of the middle rows.
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

/** One process of the `alternate` mode: its windows in the order run, and watch ÷ bare per pair of windows. */
interface Alternation {
  gc: boolean;
  windows: { mode: 'bare' | 'watch'; requests: number; microsPerRetrieve: number; heapBefore: number }[];
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
  /** The in-process comparison: `processes` processes of `pairs` pairs of windows, each measured over `windowMs`. */
  alternate: { processes: number; pairs: number; windowMs: number };
}): Promise<{ markdown: string; ratio: number }> {
  const script = await bundle(new URL('./overhead-retrieve-cpu.ts', import.meta.url));
  // 300 jobs every second is 18,000 requests a minute, over the simulator's default 10,000 RPM: on a quiet
  // machine the modes run back to back fast enough for a create to meet a 429 and the round to fail.
  const sim = await startSimulator({ seed: 21, rateLimits: { rpm: 1_000_000 } });
  const t0 = performance.now();
  const rounds: RetrieveRound[] = [];
  const alternations: Alternation[] = [];
  const loads: number[] = [];
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const mode of round % 2 ? [...MODES].reverse() : MODES) {
        // Asynchronously: the simulator answers from this process's event loop.
        const { stdout } = await promisify(execFile)(process.execPath, [
          script,
          mode,
          sim.baseURL,
          String(options.watches),
          String(options.everyMs),
          String(options.durationMs),
        ]);
        const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as RetrieveRound;
        loads.push(loadavg()[0]!);
        console.error(
          `  retrieve cpu ${mode}: ${r.microsPerRetrieve.toFixed(1)} µs (${r.requests} requests)`,
        );
        rounds.push(r);
      }
    }
    for (let p = 0; p < options.alternate.processes; p++) {
      // Which mode opens the process alternates too: the first window meets the coldest JIT.
      const first = p % 2 ? 'watch' : 'bare';
      const { stdout } = await promisify(execFile)(process.execPath, [
        // global.gc() between windows: what one window left to collect is not charged to the next.
        '--expose-gc',
        script,
        'alternate',
        sim.baseURL,
        String(options.watches),
        String(options.everyMs),
        String(options.alternate.windowMs),
        String(options.alternate.pairs),
        first,
      ]);
      const a = JSON.parse(stdout.trim().split('\n').at(-1)!) as Alternation;
      if (!a.gc) throw new Error('the alternate mode ran without global.gc (--expose-gc)');
      loads.push(loadavg()[0]!);
      console.error(
        `  retrieve cpu alternate (${first} first): ${a.windows.map((w) => `${w.mode} ${w.microsPerRetrieve.toFixed(1)}`).join(', ')} µs; watch ÷ bare ${a.ratios.map((r) => r.toFixed(2)).join(', ')}; heap at each window's start ${a.windows.map((w) => (w.heapBefore / 2 ** 20).toFixed(1)).join(', ')} MiB`,
      );
      alternations.push(a);
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
  const windowMicros = (mode: 'bare' | 'watch') =>
    median(windows.filter((w) => w.mode === mode).map((w) => w.microsPerRetrieve));
  const windowRequests = (mode: 'bare' | 'watch') =>
    median(windows.filter((w) => w.mode === mode).map((w) => w.requests));
  const pairRatios = alternations.flatMap((a) => a.ratios);
  const ratio = median(pairRatios);
  const x = (r: number) => `${r.toFixed(2)}×`;
  const verdict =
    ratio <= 1
      ? `Target met: ${x(ratio)} a bare SDK retrieve (≤ 1.0×), in one process.`
      : `Target missed by ${((ratio - 1) * 100).toFixed(0)} %: ${x(ratio)} a bare SDK retrieve (≤ 1.0×), in one process.`;
  const { processes, pairs, windowMs } = options.alternate;
  const markdown = `| ${options.watches} jobs polled every ${options.everyMs / 1000} s (the simulator in another process) | CPU per retrieve (median) | retrieves per round | × bare (median of rounds) |
| --- | ---: | ---: | ---: |
| bare: the seed's loop, \`await client.responses.retrieve(id)\` and a status check | ${micros('bare').toFixed(1)} µs | ${requests('bare')} | 1.00× |
| bare, each retrieve given an \`AbortSignal\` of its own (what a watch needs to abort one request) | ${micros('bare-signal').toFixed(1)} µs | ${requests('bare-signal')} | ${x(signalRatio)} |
| bare, through the kind's own retrieve as a watch calls it (\`.withResponse()\` for the headers, \`maxRetries: 0\`, a signal) | ${micros('bare-spec').toFixed(1)} µs | ${requests('bare-spec')} | ${x(specRatio)} |
| \`watchRun\` + \`poll()\` (same schedule; default telemetry: API, no SDK) | ${micros('watch').toFixed(1)} µs | ${requests('watch')} | ${x(processRatio)} |
| in one process, alternating windows: bare | ${windowMicros('bare').toFixed(1)} µs | ${windowRequests('bare')} per window | 1.00× |
| in one process, alternating windows: \`watchRun\` + \`poll()\` | ${windowMicros('watch').toFixed(1)} µs | ${windowRequests('watch')} per window | **${x(ratio)}** (median of ${pairRatios.length} pairs) |

${verdict} Pair ratios ${x(Math.min(...pairRatios))} to ${x(Math.max(...pairRatios))}; per process (median of its pairs) ${alternations.map((a) => x(median(a.ratios))).join(', ')}. Across processes (the first four rows): ${x(processRatio)} (per-round ratios ${processRatios.map((r) => r.toFixed(2)).join(', ')}). Load average ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} while it ran.

The verdict is measured within a process: ${processes} processes each run the bare loop and the watches in ${2 * pairs} alternating windows (bare, watch, watch, bare, …; every other process opens with the watches), and a ratio is the watch window's CPU per retrieve over the bare window's beside it, so the up-to-50 % swing from one process to the next on this machine cancels out. Each window starts its ${options.watches} loops or watches staggered over a period, warms up as the fresh processes do (below), measures ${(windowMs / 1000).toFixed(0)} s, then stops them all and waits until no request is in flight; \`global.gc()\` (\`--expose-gc\`) runs between windows, outside the measure, so no window pays for the garbage of the one before.
The first four rows: ${options.rounds} rounds, each mode in a fresh process, interleaved (order alternating); each measures its own CPU
(\`process.cpuUsage\`, user + system) over ${(options.durationMs / 1000).toFixed(0)} s, after a warm-up of at least 2 s in which every job was
retrieved twice (a watch's actor starts at its first event: not a cost per retrieve), and counts its requests at the
SDK's \`fetch\`.`;
  return { markdown, ratio };
}
