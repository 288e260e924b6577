// Instructions per retrieve, counted by valgrind's callgrind, for the telemetry rows of bench/overhead.ts. CPU time
// on a machine shared with other work swings by ±20 % between rounds; an instruction count barely moves with the
// load. Each mode runs the CPU script (overhead-telemetry-cpu.ts) in count mode under callgrind twice, to `low`
// and to `high` answered retrieves: the difference over `high - low` is the instructions of one retrieve, with the
// process's start-up, module loading and the watches' creates cancelled out. Node runs with its JIT (`--jitless`
// turns off WebAssembly, which undici's fetch needs) in V8's `--predictable` mode.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

export interface InstructionRow {
  mode: string;
  /** Instructions per retrieve, one value per run (a mode listed twice in a round runs twice). */
  perRetrieve: number[];
  /** The round of each value. */
  round: number[];
}

/** Whether valgrind is installed (the rows are left out without it). */
export function hasValgrind(): boolean {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function instructions(script: string, mode: string, baseURL: string, count: number): Promise<number> {
  const { stderr } = await promisify(execFile)(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      '--trace-children=no',
      process.execPath,
      // V8's predictable mode: no concurrent threads, no time-driven work; two counts of the same run to 50
      // retrieves then agreed to 0.03 %, and the per-retrieve figure moved 3.6 % where it moved 12 % without it.
      '--predictable',
      script,
      mode,
      baseURL,
      `n=${count}`,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const m = /Collected : (\d+)/.exec(stderr);
  if (!m) throw new Error(`callgrind printed no count for ${mode} n=${count}:\n${stderr.slice(-2000)}`);
  return Number(m[1]);
}

/**
 * Runs every mode at both counts, in the order given within each round (a mode may be listed twice, the baseline
 * first and last, to see how far one measurement of the same code moves); returns instructions per retrieve.
 */
export async function instructionsPerRetrieve(options: {
  script: string;
  baseURL: string;
  modes: readonly string[];
  low: number;
  high: number;
  rounds: number;
}): Promise<InstructionRow[]> {
  const rows = new Map<string, InstructionRow>();
  for (let round = 0; round < options.rounds; round++) {
    for (const mode of options.modes) {
      const low = await instructions(options.script, mode, options.baseURL, options.low);
      const high = await instructions(options.script, mode, options.baseURL, options.high);
      const per = (high - low) / (options.high - options.low);
      console.error(
        `  telemetry instructions ${mode}: ${(per / 1e6).toFixed(3)} M/retrieve (round ${round + 1}; ${low} at ${options.low}, ${high} at ${options.high})`,
      );
      const row = rows.get(mode) ?? { mode, perRetrieve: [], round: [] };
      row.perRetrieve.push(per);
      row.round.push(round);
      rows.set(mode, row);
    }
  }
  return [...rows.values()];
}
