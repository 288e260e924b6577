// The telemetry rows of bench/overhead.ts: CPU per retrieve without telemetry, with the API and no SDK, and with the
// SDK recording to in-memory exporters; heap per idle watch with and without telemetry. Ratios in the same run.
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { startSimulator } from '../../src/sim/index.js';
import { bundle } from './overhead-bundle.js';

const MODES = ['off', 'api', 'sdk'] as const;
type Mode = (typeof MODES)[number];

interface CpuRound {
  mode: Mode;
  requests: number;
  microsPerRetrieve: number;
  spans: number;
}

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
}): Promise<string> {
  const script = await bundle(new URL('./overhead-telemetry-cpu.ts', import.meta.url));
  const sim = await startSimulator({ seed: 19 });
  const rounds: CpuRound[] = [];
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
  return `
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
