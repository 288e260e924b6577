// Instructions per retrieve in steady state, counted by valgrind's callgrind, for the CPU-per-retrieve section of
// bench/overhead.ts (`OVERHEAD_ONLY=retrieve-instructions`). The count mode of overhead-retrieve-cpu.ts runs under
// callgrind with its instrumentation off (about 10× faster than on) through a long warm-up, RETRIEVE_WARMUP_MS of
// RETRIEVE_COUNT_WATCHES jobs polled every second, until V8's optimising compiler has little left to do: the
// instruction rows of the telemetry section count from retrieve 100, when the compiler is still half of what a
// retrieve executes. The script then prints `warm`, `callgrind_control -i on` switches the instrumentation on, and
// the count runs until `count` more retrieves were answered. Node runs in V8's `--predictable` mode (the collector
// and the compiler on the main thread, so every instruction is counted), with its JIT.
import { execFileSync, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { startSimulator } from '../../src/sim/index.js';
import { bundle } from './overhead-bundle.js';

/** Instructions per retrieve of one mode: everything the process executed once warm, over `count` retrieves. */
async function steadyInstructions(
  script: string,
  mode: string,
  baseURL: string,
  o: { count: number; watches: number; warmupMs: number },
): Promise<number> {
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      '--instr-atstart=no',
      process.execPath,
      '--predictable',
      script,
      mode,
      baseURL,
      `n=${o.count}`,
    ],
    {
      env: {
        ...process.env,
        RETRIEVE_WARMUP_MS: String(o.warmupMs),
        RETRIEVE_COUNT_WATCHES: String(o.watches),
        RETRIEVE_SAY_WARM: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  child.stdout.on('data', (d: Buffer) => {
    if (d.toString().includes('warm')) {
      execFileSync('callgrind_control', ['--instr=on', String(child.pid)], { stdio: 'ignore' });
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const m = /Collected : (\d+)/.exec(stderr);
  if (code !== 0 || !m) throw new Error(`callgrind gave no count for ${mode}:\n${stderr.slice(-2000)}`);
  return Number(m[1]) / o.count;
}

// Two at a time (valgrind runs one thread; the machine has two cores); the bare loop twice, the second time beside
// the watch whose every read goes through the machine, to show how far two counts of the same code move.
const MODES = [
  ['bare', "the seed's loop, `await client.responses.retrieve(id)` and a status check"],
  ['watch', '`watchRun` + `poll()`'],
  ['watch-every', '`watchRun` with a copy of the poll: every read through the machine, repeats too'],
  ['bare', "the seed's loop again"],
] as const;

/** The steady-state instruction rows: each mode once under callgrind, as markdown. */
export async function retrieveInstructions(options: {
  count: number;
  watches: number;
  warmupMs: number;
}): Promise<string> {
  const script = await bundle(new URL('./overhead-retrieve-cpu.ts', import.meta.url));
  const sim = await startSimulator({ seed: 21, rateLimits: { rpm: 1_000_000 } });
  const counts: number[] = [];
  const loads: number[] = [];
  try {
    for (let i = 0; i < MODES.length; i += 2) {
      const pair = MODES.slice(i, i + 2);
      const got = await Promise.all(
        pair.map(([mode]) => steadyInstructions(script, mode, sim.baseURL, options)),
      );
      loads.push(loadavg()[0]!);
      for (const [j, [mode]] of pair.entries()) {
        console.error(`  retrieve instructions ${mode}: ${(got[j]! / 1e6).toFixed(3)} M`);
      }
      counts.push(...got);
    }
  } finally {
    await sim.close();
  }
  const bare = counts[0]!;
  const rows = MODES.map(
    ([, what], i) => `| ${what} | ${(counts[i]! / 1e6).toFixed(3)} M | ${(counts[i]! / bare).toFixed(3)}× |`,
  );
  return `Instructions per retrieve in steady state (callgrind; ${options.watches} jobs polled every second, counted over ${options.count} retrieves after ${(options.warmupMs / 1000).toFixed(0)} s uninstrumented, \`node --predictable\`):

| ${options.watches} jobs polled every 1 s | instructions per retrieve | × the first bare row |
| --- | ---: | ---: |
${rows.join('\n')}

Load average ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} (an instruction count barely moves with the load).`;
}
