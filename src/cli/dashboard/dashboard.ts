import { parseArgs } from 'node:util';
import { createDashboard } from '../../dashboard/dashboard.js';
import { isRunstateError } from '../../errors/runstate-error.js';
import { toNodeListener } from '../../http/node-listener.js';
import { createRunQueue } from '../../queue/index.js';
import { parseOrUsage, port } from '../args.js';
import { CliError, type CliIo, type Command, UsageError } from '../command.js';
import { serve } from '../http-server.js';
import { redisFlag } from '../redis-url.js';
import { aborted, interruption } from '../signals.js';

const help = `Usage: runstate dashboard --redis URL [options]

Serves a live page of the durable watches of a queue (runstate/queue): counts by state, the watches with
their kind, job, state, age, requests, progress and text so far, a filter by state, and one watch opened
on its timeline with the run machine's diagram. Read-only unless a cancel token is given.

Options:
  --redis URL      Redis, redis://[user:password@]host[:port][/db] (required)
  --name NAME      queue name (default runstate)
  --port N         port to serve on (default 4000; 0: any free port)
  --host HOST      interface to listen on (default 127.0.0.1: this machine only)
  --show-tool-arguments  show the arguments of the tool calls runs wait for (hidden by default)
  -h, --help       show this help

Environment: RUNSTATE_DASHBOARD_TOKEN (16 characters or more) adds cancel buttons, which stop a watch
only when the request carries it (the page asks for it once).

Examples:
  runstate dashboard --redis redis://127.0.0.1:6379
  RUNSTATE_DASHBOARD_TOKEN=$(openssl rand -hex 16) runstate dashboard --redis redis://127.0.0.1:6379 --port 8080`;

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: [...argv],
      options: {
        redis: { type: 'string' },
        name: { type: 'string', default: 'runstate' },
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        'show-tool-arguments': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }),
  );
  const connection = redisFlag(values.redis);
  const listenPort = port('port', values.port) ?? 4000;
  const token = io.env.RUNSTATE_DASHBOARD_TOKEN;
  if (token !== undefined && token.length < 16) {
    throw new UsageError('RUNSTATE_DASHBOARD_TOKEN must be 16 characters or more');
  }
  const queue = await createRunQueue({ connection, name: values.name }).catch((error: unknown) => {
    if (isRunstateError(error)) throw new CliError(error.message, 1);
    throw error;
  });
  const stop = interruption();
  const dashboard = createDashboard({
    queue,
    showToolArguments: values['show-tool-arguments'],
    ...(token ? { cancel: { token } } : {}),
  });
  try {
    const listening = await serve(toNodeListener(dashboard), { port: listenPort, host: values.host });
    io.stdout.write(
      `runstate dashboard: ${listening.url} (queue ${values.name}, ${token ? 'cancel with the token' : 'read-only'})\n`,
    );
    await aborted(stop.signal);
    await listening.close();
    return 0;
  } finally {
    dashboard.close();
    stop.dispose();
    await queue.close();
  }
}

/** `runstate dashboard`: a live page of a queue's watches. */
export const dashboardCommand: Command = { help, run };
