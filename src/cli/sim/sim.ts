import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  generateWebhookSecret,
  type Scenario,
  ScenarioError,
  type SimFaults,
  startSimulator,
  validateScenario,
} from '../../sim/index.js';
import { webhookSecretProblem } from '../../webhooks/secret.js';
import { integer, parseOrUsage, port, positive, probability } from '../args.js';
import { CliError, type CliIo, type Command, UsageError } from '../command.js';
import { createStyle } from '../format.js';
import { aborted, interruption } from '../signals.js';

const DEFAULT_PORT = 4010;

const help = `Usage: runstate sim [options]

Starts the OpenAI-compatible simulator: Assistants runs, background responses and batches with scripted
lifecycles, injectable faults and signed webhooks. The official SDK and runstate watch work against it
unchanged. Runs until Ctrl-C (SIGINT) or SIGTERM, then closes cleanly.

Options:
  --port N               port on 127.0.0.1 (default ${DEFAULT_PORT}; 0: any free port)
  --seed S               seeds durations, outcomes, fault dice and ids (default 1)
  --speed X              clock speed: 10 runs a 30 s job in 3 s (default 1, real time)
  --scenario JSON|@FILE  the script of every job, e.g. '{"outcome":{"completed":9,"failed":1}}'
                         (a job can pick its own with metadata.sim_scenario)
  --api-key KEY          require this bearer token; anything else gets a 401
  --rate-limit P         answer this share of requests with a 429 (0.1 or 10%)
  --server-errors P      answer this share of requests with a 500
  --drop P               close this share of connections without an answer
  --latency MS           add this much latency to every answer
  --rpm N                a requests-per-minute limit, with x-ratelimit-* headers
  --poll-after MS        send openai-poll-after-ms on retrieves
  --webhook-url URL      deliver signed webhooks for every job event OpenAI sends there
  --webhook-secret S     sign them with this whsec_ secret (default: a new one, printed)
  --run-webhooks         also send thread.run.<status> events for Assistants runs (OpenAI sends none;
                         runstate's webhook sources can use them, other clients may misread them)
  -h, --help             show this help

Examples:
  runstate sim
  runstate sim --speed 10 --scenario '{"outcome":{"completed":3,"failed":1}}'
  runstate sim --rate-limit 20% --latency 150 --seed 42
  runstate sim --webhook-url http://127.0.0.1:4242/ --webhook-secret whsec_...   # with runstate listen`;

function readScenario(raw: string | undefined): Scenario | undefined {
  if (raw === undefined) return undefined;
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = readFileSync(raw.slice(1), 'utf8');
    } catch (error) {
      throw new UsageError(
        `--scenario: cannot read ${raw.slice(1)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--scenario is not valid JSON (${(error as Error).message})`);
  }
  try {
    return validateScenario(parsed, 'scenario');
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(`--scenario: ${error.message}`);
    throw error;
  }
}

function readFaults(values: Record<string, string | boolean | undefined>): SimFaults {
  const str = (key: string) => values[key] as string | undefined;
  const faults: SimFaults = {};
  const rateLimit = probability('rate-limit', str('rate-limit'));
  if (rateLimit) faults.rateLimit = { probability: rateLimit };
  const serverErrors = probability('server-errors', str('server-errors'));
  if (serverErrors) faults.serverError = { probability: serverErrors };
  const drop = probability('drop', str('drop'));
  if (drop) faults.drop = { probability: drop };
  const latency = positive('latency', str('latency'), { allowZero: true });
  if (latency) faults.latency = { ms: latency };
  const rpm = integer('rpm', str('rpm'), { min: 1, max: 1_000_000 });
  if (rpm) faults.rpm = rpm;
  const pollAfter = integer('poll-after', str('poll-after'), { min: 0, max: 3_600_000 });
  if (pollAfter !== undefined) faults.pollAfterMs = pollAfter;
  return faults;
}

const describeFaults = (f: SimFaults): string => {
  const pct = (p: number) => `${Math.round(p * 1000) / 10}%`;
  const parts: string[] = [];
  const one = <R>(r: R | R[] | null | undefined) => (Array.isArray(r) ? r[0] : (r ?? undefined));
  const rate = one(f.rateLimit);
  if (rate?.probability) parts.push(`429 on ${pct(rate.probability)}`);
  const errors = one(f.serverError);
  if (errors?.probability) parts.push(`500 on ${pct(errors.probability)}`);
  const drop = one(f.drop);
  if (drop?.probability) parts.push(`dropped connections ${pct(drop.probability)}`);
  if (f.latency) parts.push(`+${String(f.latency.ms)} ms latency`);
  if (f.rpm) parts.push(`${f.rpm} requests/min`);
  if (f.pollAfterMs != null) parts.push(`openai-poll-after-ms ${String(f.pollAfterMs)}`);
  return parts.length ? parts.join(', ') : 'none';
};

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        seed: { type: 'string' },
        speed: { type: 'string' },
        scenario: { type: 'string' },
        'api-key': { type: 'string' },
        'rate-limit': { type: 'string' },
        'server-errors': { type: 'string' },
        drop: { type: 'string' },
        latency: { type: 'string' },
        rpm: { type: 'string' },
        'poll-after': { type: 'string' },
        'webhook-url': { type: 'string' },
        'webhook-secret': { type: 'string' },
        'run-webhooks': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }),
  );
  const listenPort = port('port', values.port) ?? DEFAULT_PORT;
  const seed = integer('seed', values.seed, { min: 0, max: 2 ** 32 - 1 }) ?? 1;
  const speed = positive('speed', values.speed) ?? 1;
  const scenario = readScenario(values.scenario);
  const faults = readFaults(values);
  const webhookUrl = values['webhook-url'];
  if (webhookUrl !== undefined && !URL.canParse(webhookUrl)) {
    throw new UsageError(`--webhook-url must be a URL (got ${JSON.stringify(webhookUrl)})`);
  }
  if (values['webhook-secret'] !== undefined && webhookUrl === undefined) {
    throw new UsageError('--webhook-secret needs --webhook-url');
  }
  if (values['run-webhooks'] && webhookUrl === undefined) {
    throw new UsageError('--run-webhooks needs --webhook-url');
  }
  const secretProblem =
    values['webhook-secret'] === undefined ? undefined : webhookSecretProblem(values['webhook-secret']);
  if (secretProblem) throw new UsageError(`--webhook-secret ${secretProblem}`);
  const secret = webhookUrl ? (values['webhook-secret'] ?? generateWebhookSecret()) : undefined;

  const stop = interruption();
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  try {
    sim = await startSimulator({
      port: listenPort,
      seed,
      clock: speed === 1 ? 'real' : { speed },
      faults,
      ...(scenario ? { scenario } : {}),
      ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
      ...(webhookUrl && secret ? { webhooks: { url: webhookUrl, secret } } : {}),
      ...(values['run-webhooks'] ? { runWebhooks: true } : {}),
    });
  } catch (error) {
    stop.dispose();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new CliError(`port ${listenPort} is already in use: pick another with --port (0: any free port)`);
    if (error instanceof RangeError || error instanceof ScenarioError) throw new UsageError(error.message);
    throw error;
  }

  const style = createStyle(io.stdout, io.env);
  const key = values['api-key'] ?? 'sim';
  const print = (line = '') => io.stdout.write(`${line}\n`);
  print(style.bold(`runstate sim: listening on ${sim.baseURL}`));
  print(
    `  seed ${seed}, clock ${speed === 1 ? 'real time' : `×${speed}`}, scenario ${scenario ? JSON.stringify(scenario) : 'default (jobs complete after 1 to 3 s)'}`,
  );
  print(`  faults: ${describeFaults(faults)}`);
  if (webhookUrl) {
    // A secret given on the command line is the user's own: not echoed. A generated one is needed to verify.
    const shown = values['webhook-secret'] ? 'the secret given' : secret;
    const runs = values['run-webhooks'] ? ', thread.run.* included' : '';
    print(`  webhooks: every job event is POSTed to ${webhookUrl}${runs}, signed with ${shown}`);
  }
  print();
  print('Point the SDK at it:');
  print(`  new OpenAI({ baseURL: '${sim.baseURL}', apiKey: '${key}' })`);
  print(`  export OPENAI_BASE_URL=${sim.baseURL} OPENAI_API_KEY=${key}`);
  print('Create a background response, then watch it:');
  print(
    `  curl -s ${sim.baseURL}/responses -H 'authorization: Bearer ${key}' -H 'content-type: application/json' -d '{"model":"gpt-4o-mini","input":"hi","background":true}'`,
  );
  print(`  OPENAI_API_KEY=${key} runstate watch --base-url ${sim.baseURL} --response <id>`);
  print();
  print(style.dim('Ctrl-C to stop.'));

  await aborted(stop.signal);
  stop.dispose();
  const stats = sim.stats();
  await sim.close();
  print(
    `runstate sim: stopped (${String(stop.signal.reason)}) after ${stats.requests.total} requests and ${Object.keys(stats.jobs).length} jobs`,
  );
  return 0;
}

/** `runstate sim`. */
export const simCommand: Command = {
  help,
  run,
};
