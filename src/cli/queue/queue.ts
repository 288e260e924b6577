import { parseArgs } from 'node:util';
import { isRunstateError } from '../../errors/runstate-error.js';
import { JOB_TERMINAL_STATES } from '../../model/states.js';
import type { ActiveState, TerminalState } from '../../model/types.js';
import { createRunQueue, type WatchCounts } from '../../queue/index.js';
import { integer, parseOrUsage } from '../args.js';
import { CliError, type CliIo, type Command } from '../command.js';
import { redisFlag } from '../redis-url.js';
import { interruption } from '../signals.js';

const help = `Usage: runstate queue --redis URL [options]

Shows the durable watches of a queue (runstate/queue) by state, live: those going on by the state of their
job at their last step (starting: not stepped yet), those ended by outcome (stopped: by cancel(); errors:
a typed error such as a 404), and their steps: sleeping (delayed), due (waiting), running (active); then
the requests every worker sent to the API in the last minute, and the 429s among them.
On a terminal the line updates in place; piped, a line is printed each time the counts change.

Options:
  --redis URL      Redis, redis://[user:password@]host[:port][/db] (required)
  --name NAME      queue name (default runstate)
  --interval MS    how often to look (default 1000)
  --once           print the counts once and exit
  --json           one JSON object per line
  -h, --help       show this help

Examples:
  runstate queue --redis redis://127.0.0.1:6379
  runstate queue --redis redis://127.0.0.1:6379 --once --json`;

const GOING: readonly ActiveState[] = ['queued', 'in_progress', 'requires_action', 'cancelling'];
const ENDED: readonly TerminalState[] = [...JOB_TERMINAL_STATES, 'timed_out'];

/** `total (a 1, b 2)`, naming only what is not zero. */
function group(pairs: readonly (readonly [string, number])[]): string {
  const total = pairs.reduce((n, [, k]) => n + k, 0);
  const named = pairs.filter(([, k]) => k > 0).map(([name, k]) => `${name} ${k}`);
  return named.length > 0 ? `${total} (${named.join(', ')})` : String(total);
}

function line(c: WatchCounts, json: boolean): string {
  if (json) return JSON.stringify(c);
  const going = group([['starting', c.starting], ...GOING.map((s) => [s, c.byState[s]] as const)]);
  const ended = group([
    ...ENDED.map((s) => [s, c.byState[s]] as const),
    ['stopped', c.stopped],
    ['errors', c.errors],
  ]);
  return `watching ${going}  ended ${ended}  steps: delayed ${c.delayed} waiting ${c.waiting} active ${c.active}  requests/min ${c.requestsPerMinute} (429: ${c.rateLimitedPerMinute})`;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: [...argv],
      options: {
        redis: { type: 'string' },
        name: { type: 'string', default: 'runstate' },
        interval: { type: 'string' },
        once: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }),
  );
  const connection = redisFlag(values.redis);
  const interval = integer('interval', values.interval, { min: 50 }) ?? 1000;
  const runs = await createRunQueue({ connection, name: values.name }).catch((error: unknown) => {
    if (isRunstateError(error)) throw new CliError(error.message, 1);
    throw error;
  });
  const stop = interruption();
  const live = io.stdout.isTTY === true && !values.json && !values.once;
  try {
    let last = '';
    for (;;) {
      const text = line(await runs.counts(), values.json);
      if (live) io.stdout.write(`\r\x1b[2K${text}`);
      else if (text !== last) io.stdout.write(`${text}\n`);
      last = text;
      if (values.once) return 0;
      const slept = await new Promise<boolean>((resolve) => {
        // One listener at a time: one left behind per look would pile up (and warn) on a long watch.
        const onStop = () => {
          clearTimeout(timer);
          resolve(false);
        };
        const timer = setTimeout(() => {
          stop.signal.removeEventListener('abort', onStop);
          resolve(true);
        }, interval);
        stop.signal.addEventListener('abort', onStop, { once: true });
      });
      if (!slept) break;
    }
    if (live) io.stdout.write('\n');
    return 0;
  } finally {
    stop.dispose();
    await runs.close();
  }
}

/** `runstate queue`: durable watches by state, live. */
export const queueCommand: Command = { help, run };
