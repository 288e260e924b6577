import { parseArgs } from 'node:util';
import { integer, parseOrUsage, port, positive } from '../args.js';
import { DEFAULT_INSPECT_PORT } from './demo-inspect.js';

const DEFAULT_JOBS = 12;
const DEFAULT_SPEED = 20;

/** `runstate demo --help`. */
export const help = `Usage: runstate demo [--jobs N] [--seed S] [--speed X] [--json] [--inspect [--inspect-port P] | --inspect-url URL]

Starts the embedded simulator and watches a dozen jobs with mixed fates (completed, two tool calls, failed,
expired waiting for tools, cancelled, timed out) through the poll, webhook and hybrid sources side by side,
plus one response streamed word by word with the stream source:
webhooks are real signed HTTP deliveries to a local hub. The simulator's clock runs X times faster than real
time and the watches share it, so minutes of job time pass in seconds. Ends with a summary per source:
retrieves, detection delay (terminal snapshot minus the job's true end) and outcomes.

On a terminal the jobs are shown live, redrawn in place; otherwise one line is printed per transition.

Options:
  --jobs N      how many jobs (1 to 60; default ${DEFAULT_JOBS}): fates and sources rotate
  --seed S      seeds durations, ids and jitter (default 1)
  --speed X     simulated clock speed (default ${DEFAULT_SPEED}: 1 s of real time is ${DEFAULT_SPEED} s of job time)
  --json        print only the summary, as JSON
  --inspect     show every watch's machine in the Stately inspector: starts its bridge on port P (default
                ${DEFAULT_INSPECT_PORT}) and, on a terminal, opens it in the browser; the bridge stays up after the
                summary until Ctrl-C. Needs @statelyai/inspect (npm i -D @statelyai/inspect)
  --inspect-url URL  send to an inspector bridge already listening at URL (ws://...) instead
  -h, --help    show this help

Examples:
  runstate demo
  runstate demo --jobs 18 --seed 7
  runstate demo --inspect --speed 2
  runstate demo --json | jq '.sources[] | {source, retrieves}'`;

/** What `runstate demo` was asked to do, checked. */
export interface DemoArgs {
  /** How many jobs, 1 to 60. */
  count: number;
  seed: number;
  /** Simulated ms per real ms. */
  speed: number;
  /** Only the summary, as JSON. */
  json: boolean;
  /** Start an inspector bridge (`--inspect`). */
  inspect: boolean;
  /** Send to a bridge already listening there instead (`--inspect-url`). */
  inspectUrl: string | undefined;
  inspectPort: number;
}

/** Reads and checks the command line; throws a one-line `UsageError`. */
export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: [...argv],
      options: {
        jobs: { type: 'string' },
        seed: { type: 'string' },
        speed: { type: 'string' },
        json: { type: 'boolean', default: false },
        inspect: { type: 'boolean', default: false },
        'inspect-port': { type: 'string' },
        'inspect-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }),
  );
  return {
    count: integer('jobs', values.jobs, { min: 1, max: 60 }) ?? DEFAULT_JOBS,
    seed: integer('seed', values.seed, { min: 0, max: 2 ** 32 - 1 }) ?? 1,
    speed: positive('speed', values.speed) ?? DEFAULT_SPEED,
    json: values.json,
    inspect: values.inspect,
    inspectUrl: values['inspect-url'],
    inspectPort: port('inspect-port', values['inspect-port']) ?? DEFAULT_INSPECT_PORT,
  };
}
