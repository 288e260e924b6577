import { parseArgs } from 'node:util';
import { JOB_KINDS, kindSpec } from '../../kinds/registry.js';
import { webhookSecretProblem } from '../../webhooks/secret.js';
import { duration, parseOrUsage, port, required } from '../args.js';
import { CliError, type CliIo, type Command, UsageError } from '../command.js';
import {
  JOB_ARG_CHOICES,
  JOB_ARG_EXAMPLES,
  JOB_ARG_HELP,
  JOB_ARG_OPTIONS,
  jobRefFromArgs,
} from '../job-args.js';
import { WATCH_SOURCES, type WatchRequest } from './watch-request.js';

const DEFAULT_MAX_WAIT_MS = 10 * 60_000;

/** What the kinds that count their work count: `requests, steps, items or files`. */
const PROGRESS_UNITS = JOB_KINDS.flatMap((kind) => kindSpec(kind).progressUnit ?? [])
  .join(', ')
  .replace(/, ([^,]*)$/, ' or $1');

const USAGE_INDENT = ' '.repeat('Usage: runstate watch ('.length - 1);

/** The usage line's choices of job, wrapped at 110 columns as the help is. */
function usage(): string {
  const lines = ['Usage: runstate watch ('];
  JOB_ARG_CHOICES.forEach((choice, i) => {
    const piece = i === JOB_ARG_CHOICES.length - 1 ? `${choice}) [options]` : `${choice} |`;
    const last = lines.length - 1;
    const joined = lines[last]!.endsWith('(') ? lines[last] + piece : `${lines[last]} ${piece}`;
    if (joined.length <= 110) lines[last] = joined;
    else lines.push(USAGE_INDENT + piece);
  });
  return lines.join('\n');
}

const help = `${usage()}

Watches one job until it ends, printing each transition with its time, and a progress line for jobs that count
their work (${PROGRESS_UNITS}). Prints the error of a failed job.

Options:
${JOB_ARG_HELP.join('\n')}
  --base-url URL        the API (default: OPENAI_BASE_URL, else https://api.openai.com/v1)
  --source NAME         poll (default), webhook, hybrid (webhooks first, a slow poll as a safety net) or
                        stream (a response created with background and stream: prints its text as it
                        comes; other jobs, or a refused stream, fall back to polling and say so)
  --port N              webhook, hybrid: port to receive webhooks on (required)
  --host HOST           webhook, hybrid: interface to listen on (default 127.0.0.1)
  --secret whsec_...    webhook, hybrid: the endpoint's signing secret (default: OPENAI_WEBHOOK_SECRET)
  --max-wait DURATION   give up after this long, as 90s, 10m or 1h (default 10m); the job goes on
  --json                one JSON object per transition (with --source stream, per piece of text too),
                        nothing else on stdout
  -h, --help            show this help

Exit codes:
  0  the job completed
  1  it failed, was cancelled, expired, ended incomplete, or --max-wait passed first
  2  usage error, missing or refused API key, job not found, server unreachable
  130  interrupted (Ctrl-C); the job goes on

Environment: OPENAI_API_KEY (required), OPENAI_BASE_URL, OPENAI_WEBHOOK_SECRET, NO_COLOR.

Examples:
${JOB_ARG_EXAMPLES.map((example) => `  ${example}`).join('\n')}`;

/** Reads and checks the command line and the environment; throws a one-line `UsageError` or `CliError`. */
function parse(argv: readonly string[], io: CliIo): WatchRequest {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: [...argv],
      options: {
        ...JOB_ARG_OPTIONS,
        'base-url': { type: 'string' },
        source: { type: 'string', default: 'poll' },
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        secret: { type: 'string' },
        'max-wait': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }),
  );
  const job = jobRefFromArgs(values);
  const sourceName = values.source as WatchRequest['source'];
  if (!WATCH_SOURCES.includes(sourceName)) {
    throw new UsageError(
      `--source must be poll, webhook, hybrid or stream (got ${JSON.stringify(values.source)})`,
    );
  }
  const listensForWebhooks = sourceName === 'webhook' || sourceName === 'hybrid';
  const webhookPort = port('port', values.port);
  const secret = values.secret ?? io.env.OPENAI_WEBHOOK_SECRET;
  if (listensForWebhooks) {
    required(webhookPort, `--source ${sourceName}: --port (where webhooks arrive)`);
    required(secret, `--source ${sourceName}: --secret (or OPENAI_WEBHOOK_SECRET)`);
    const problem = webhookSecretProblem(secret);
    if (problem) {
      throw new UsageError(
        `${values.secret !== undefined ? '--secret' : 'OPENAI_WEBHOOK_SECRET'} ${problem}`,
      );
    }
  }
  const baseURL = values['base-url'];
  if (baseURL !== undefined && !URL.canParse(baseURL)) {
    throw new UsageError(
      `--base-url must be a URL like http://127.0.0.1:4010/v1 (got ${JSON.stringify(baseURL)})`,
    );
  }
  const maxWaitMs = duration('max-wait', values['max-wait']) ?? DEFAULT_MAX_WAIT_MS;
  // The one place runstate reads the key: the library itself never does.
  const apiKey = io.env.OPENAI_API_KEY;
  if (!apiKey) {
    throw new CliError(
      'OPENAI_API_KEY is not set: export your API key (against the simulator any value works, e.g. OPENAI_API_KEY=sim)',
    );
  }
  return {
    job,
    apiKey,
    baseURL,
    source: sourceName,
    webhooks: listensForWebhooks ? { port: webhookPort!, host: values.host, secret: secret! } : undefined,
    maxWaitMs,
    json: values.json,
  };
}

/** `runstate watch`. The SDK and the watch machinery load only once the command line is known to be right. */
export const watchCommand: Command = {
  help,
  async run(argv, io) {
    const request = parse(argv, io);
    const { watchJob } = await import('./watch-job.js');
    return watchJob(request, io);
  },
};
