// The telemetry rows of bench/overhead.ts: CPU per retrieve without telemetry, with the API and no SDK, and with the
// SDK recording to in-memory exporters; heap per idle watch with and without telemetry. Ratios in the same run.
import { execFile } from 'node:child_process';
import { Server } from 'node:http';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { startSimulator } from '../../src/sim/index.js';
import { bundle } from './overhead-bundle.js';
import { hasValgrind, type InstructionRow, instructionsPerRetrieve } from './overhead-telemetry-instr.js';

const MODES = ['off', 'api', 'sdk'] as const;
type Mode = (typeof MODES)[number];

interface CpuRound {
  mode: Mode;
  requests: number;
  microsPerRetrieve: number;
  spans: number;
}

// The two counts of answered retrieves each mode runs to under callgrind: 300 retrieves make the difference.
const INSTR_LOW = 50;
const INSTR_HIGH = 350;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Runs the rounds (modes interleaved, each in a fresh process) and returns the markdown of the section. */
export async function telemetryOverhead(options: {
  rounds: number;
  durationMs: number;
  heap: (mode: string, n: number) => { bytesPerWatch: number };
  heapRuns: number;
  /** Rounds of the instruction counts under callgrind (15 to 40 min each on a loaded machine); 0 leaves them out. */
  instructionRounds: number;
}): Promise<string> {
  const script = await bundle(new URL('./overhead-telemetry-cpu.ts', import.meta.url));
  const sim = await startSimulator({ seed: 19 });
  keepConnectionsOpen();
  const rounds: CpuRound[] = [];
  let instr: InstructionRow[] | undefined;
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const mode of MODES) {
        // Asynchronously: the simulator answers from this process's event loop.
        const { stdout: out } = await promisify(execFile)(process.execPath, [
          script,
          mode,
          sim.baseURL,
          String(options.durationMs),
        ]);
        const r = JSON.parse(out.trim().split('\n').at(-1)!) as CpuRound;
        console.error(
          `  telemetry cpu ${mode}: ${r.microsPerRetrieve.toFixed(1)} µs/retrieve (${r.requests} requests)`,
        );
        rounds.push(r);
      }
    }
    if (options.instructionRounds > 0 && hasValgrind()) {
      instr = await instructionsPerRetrieve({
        script,
        baseURL: sim.baseURL,
        // The baseline first and last: two measurements of the same code say how far one moves.
        modes: [...MODES, 'off'],
        low: INSTR_LOW,
        high: INSTR_HIGH,
        rounds: options.instructionRounds,
      });
    }
  } finally {
    await sim.close();
  }
  // Per-round ratios against the baseline of the same round, then the median: rounds move with the machine's load.
  const byRound = (mode: Mode) => rounds.filter((r) => r.mode === mode);
  const ratio = (mode: Mode) =>
    median(byRound(mode).map((r, i) => r.microsPerRetrieve / byRound('off')[i]!.microsPerRetrieve));
  const micros = (mode: Mode) => median(byRound(mode).map((r) => r.microsPerRetrieve));
  const heapOff = options.heap('watch-poll-off', options.heapRuns).bytesPerWatch;
  const heapApi = options.heap('watch-poll', options.heapRuns).bytesPerWatch;
  const heapSdk = options.heap('watch-poll-sdk', options.heapRuns).bytesPerWatch;
  const kib = (b: number) => `${(b / 1024).toFixed(2)} KiB`;
  // A goal is met only when the ratio is under it by more than the baseline's own spread between rounds.
  const offs = byRound('off').map((r) => r.microsPerRetrieve);
  const spread = (Math.max(...offs) - Math.min(...offs)) / median(offs);
  const goal = (r: number, g: number) =>
    r + spread <= g ? `≤ ${g}×: met` : r - spread > g ? `≤ ${g}×: missed` : `≤ ${g}×: within noise`;
  const load = loadavg()[0]!;
  const spans = median(byRound('sdk').map((r) => r.spans / Math.max(1, r.requests)));
  return `${instructionTable(instr)}
| watches polling the simulator (20, every 200 ms: the same requests in every mode) | CPU per retrieve (median) | × no telemetry (median of rounds) | goal |
| --- | ---: | ---: | --- |
| \`telemetry: false\` (baseline) | ${micros('off').toFixed(1)} µs | 1.00× | |
| \`@opentelemetry/api\` installed, no SDK | ${micros('api').toFixed(1)} µs | ${ratio('api').toFixed(3)}× | ${goal(ratio('api'), 1.02)} |
| the SDK recording to in-memory exporters (a span and a count per request) | ${micros('sdk').toFixed(1)} µs | ${ratio('sdk').toFixed(3)}× | ${goal(ratio('sdk'), 1.15)} |

| ${options.heapRuns.toLocaleString('en')} idle watches with \`poll()\` | heap per watch | × \`telemetry: false\` |
| --- | ---: | ---: |
| \`telemetry: false\` | ${kib(heapOff)} | 1.00× |
| API installed, no SDK | ${kib(heapApi)} | ${(heapApi / heapOff).toFixed(3)}× |
| the SDK registered (a \`runstate.watch\` span open per watch) | ${kib(heapSdk)} | ${(heapSdk / heapOff).toFixed(3)}× |

The baseline moved by ${(spread * 100).toFixed(0)} % between its own rounds (load average ${load.toFixed(1)} on this machine while it
ran): a ratio is read as met or missed only beyond that spread. Without an SDK the code path is the baseline's but
for one \`instruments()\` check per watch, so a difference in that row is the machine's noise.

${options.rounds} rounds, each mode a fresh process per round, interleaved; each measures its own CPU
(\`process.cpuUsage\`) over ${(options.durationMs / 1000).toFixed(0)} s after a 1.5 s warm-up, while the simulator answers from this process. The
SDK rows record ${spans.toFixed(2)} spans per request (the request's span; watch spans end with the watch). Without an SDK a
watch carries no recorder at all (\`instruments()\` answers undefined once per watch), so its heap is the baseline's
within measurement noise.
`;
}

/** The instruction-count table, or a line saying why it is missing. */
function instructionTable(rows: InstructionRow[] | undefined): string {
  if (!rows) return '\n(No instruction counts: valgrind is not installed, or the rounds were set to 0.)\n';
  const off = rows.find((r) => r.mode === 'off')!;
  const rounds = Math.max(...off.round) + 1;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const inRound = (row: InstructionRow, round: number) =>
    row.perRetrieve.filter((_, i) => row.round[i] === round);
  // The spread of the baseline's own measurements (two a round): a ratio is read as met or missed only beyond it.
  const offSpread = (Math.max(...off.perRetrieve) - Math.min(...off.perRetrieve)) / median(off.perRetrieve);
  const label: Record<string, string> = {
    off: '`telemetry: false` (baseline)',
    api: '`@opentelemetry/api` installed, no SDK',
    sdk: 'the SDK recording to in-memory exporters',
  };
  const goals: Record<string, number> = { api: 1.02, sdk: 1.15 };
  const lines = rows.map((row) => {
    const ratios = Array.from({ length: rounds }, (_, r) => mean(inRound(row, r)) / mean(inRound(off, r)));
    const r = median(ratios);
    const g = goals[row.mode];
    const verdict =
      g === undefined
        ? ''
        : r + offSpread <= g
          ? `≤ ${g}×: met`
          : r - offSpread > g
            ? `≤ ${g}×: missed`
            : `≤ ${g}×: within noise`;
    const each = row.perRetrieve.map((v) => (v / 1e6).toFixed(3)).join(', ');
    return `| ${label[row.mode]} | ${each} M | ${r.toFixed(3)}× | ${verdict} |`;
  });
  return `
**Instructions per retrieve** (valgrind's callgrind on the watching process, node with its JIT; the load on the
machine does not move them as it moves CPU time). Each mode ran to ${INSTR_LOW} and to ${INSTR_HIGH} answered retrieves; the
difference over ${INSTR_HIGH - INSTR_LOW} is one retrieve's instructions, start-up and module loading cancelled out. ${rounds} round(s), modes
interleaved, the baseline measured first and last: its two counts differ by ${(offSpread * 100).toFixed(1)} %, and a goal is read as
met or missed only beyond that. The SDK's periodic metric export (once per interval, not per request) is left out.
The count of the same code still moved between runs on this machine: V8 times part of its work by the wall clock
(the memory reducer's and idle-time garbage collections, concurrent compilation), and callgrind stretches that
clock some 50×. A spread of several % means the count, like the CPU rows, cannot decide a 1.02× goal alone.

| watches polling the simulator (20, as below) | instructions per retrieve (each run) | × no telemetry | goal |
| --- | ---: | ---: | --- |
${lines.join('\n')}
`;
}

/**
 * Turns off the keep-alive timeout of the simulator's server (the only HTTP server of this process). Node closes an
 * idle connection after 5 s; under callgrind the client runs some 50× slower, so its pooled connections went idle
 * that long, and were closed as it reused them ("other side closed") or opened again: failures, and instructions
 * that grew with the wall time of a run rather than with its retrieves.
 */
function keepConnectionsOpen(): void {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  for (const h of handles) if (h instanceof Server) h.keepAliveTimeout = 0;
}
