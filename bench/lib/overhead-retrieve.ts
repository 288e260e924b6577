// The CPU-per-retrieve rows of bench/overhead.ts (issue 21 part 4): a poll watch against a bare SDK retrieve loop,
// side by side, each round a fresh process per mode, interleaved; ratios taken within a round.
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
}): Promise<{ markdown: string; ratio: number }> {
  const script = await bundle(new URL('./overhead-retrieve-cpu.ts', import.meta.url));
  // 300 jobs every second is 18,000 requests a minute, over the simulator's default 10,000 RPM: on a quiet
  // machine the modes run back to back fast enough for a create to meet a 429 and the round to fail.
  const sim = await startSimulator({ seed: 21, rateLimits: { rpm: 1_000_000 } });
  const rounds: RetrieveRound[] = [];
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
  } finally {
    await sim.close();
  }
  const of = (mode: Mode) => rounds.filter((r) => r.mode === mode);
  const ratiosOf = (mode: Mode) =>
    of(mode).map((r, i) => r.microsPerRetrieve / of('bare')[i]!.microsPerRetrieve);
  const ratios = ratiosOf('watch');
  const ratio = median(ratios);
  const signalRatio = median(ratiosOf('bare-signal'));
  const specRatio = median(ratiosOf('bare-spec'));
  const micros = (mode: Mode) => median(of(mode).map((r) => r.microsPerRetrieve));
  const requests = (mode: Mode) => median(of(mode).map((r) => r.requests));
  const verdict =
    ratio <= 1
      ? `Target met: ${ratio.toFixed(2)}× a bare SDK retrieve (≤ 1.0×).`
      : `Target missed by ${((ratio - 1) * 100).toFixed(0)} %: ${ratio.toFixed(2)}× a bare SDK retrieve (≤ 1.0×).`;
  const markdown = `| ${options.watches} jobs polled every ${options.everyMs / 1000} s (the simulator in another process) | CPU per retrieve (median) | retrieves per round | × bare (median of rounds) |
| --- | ---: | ---: | ---: |
| bare: the seed's loop, \`await client.responses.retrieve(id)\` and a status check | ${micros('bare').toFixed(1)} µs | ${requests('bare')} | 1.00× |
| bare, each retrieve given an \`AbortSignal\` of its own (what a watch needs to abort one request) | ${micros('bare-signal').toFixed(1)} µs | ${requests('bare-signal')} | ${signalRatio.toFixed(2)}× |
| bare, through the kind's own retrieve as a watch calls it (\`.withResponse()\` for the headers, \`maxRetries: 0\`, a signal) | ${micros('bare-spec').toFixed(1)} µs | ${requests('bare-spec')} | ${specRatio.toFixed(2)}× |
| \`watchRun\` + \`poll()\` (same schedule; default telemetry: API, no SDK) | ${micros('watch').toFixed(1)} µs | ${requests('watch')} | **${ratio.toFixed(2)}×** |

${verdict} Per-round ratios: ${ratios.map((r) => r.toFixed(2)).join(', ')}; load average ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} while it ran.
${options.rounds} rounds, each mode in a fresh process, interleaved (order alternating); each measures its own CPU
(\`process.cpuUsage\`, user + system) over ${(options.durationMs / 1000).toFixed(0)} s, after a warm-up of at least 2 s in which every job was
retrieved twice (a watch's actor starts at its first event: not a cost per retrieve), and counts its requests at the
SDK's \`fetch\`.`;
  return { markdown, ratio };
}
