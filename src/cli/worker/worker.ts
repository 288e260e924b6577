import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { isRunstateError } from '../../errors/runstate-error.js';
import { type AnyDefinedKind, isDefinedKind } from '../../kinds/define-kind.js';
import { createRunWorker, type RunWorker } from '../../queue/index.js';
import { createScaledClock } from '../../sim/time/clock.js';
import type { ApprovalHandler } from '../../tools/approvals.js';
import type { ToolHandlers } from '../../tools/tools.js';
import { integer, parseOrUsage, port, positive } from '../args.js';
import { CliError, type CliIo, type Command, UsageError } from '../command.js';
import { redisFlag } from '../redis-url.js';
import { aborted, interruption } from '../signals.js';
import { jsonLogger } from './json-logger.js';
import { startMetricsServer } from './metrics-server.js';

const help = `Usage: runstate worker --redis URL [options]

Runs a worker that advances durable watches (runstate/queue): each step restores a watch from Redis, makes
at most one request to the API, saves it, and sleeps until its next step. Run as many as you like, on as many
machines; a watch whose worker dies is taken over by another. Stops on Ctrl-C or SIGTERM after its steps end.

Options:
  --redis URL        Redis, redis://[user:password@]host[:port][/db] (required)
  --name NAME        queue name (default runstate)
  --rpm N            the organisation's requests per minute, shared by every worker of the queue
  --concurrency N    steps at once in this worker (default 10)
  --tools MODULE     a module whose exports are tool handlers by name (default export or named exports)
  --kinds MODULE     a module exporting kinds made with defineKind (runstate/kinds), for durable watches of
                     them: named exports, or a default export (one kind, an array or an object of them);
                     repeat it for several modules
  --approvals MODULE a module whose default export (or export named approvals) decides agent sessions'
                     approval requests; without it they are never answered
  --base-url URL     API base URL (default: OPENAI_BASE_URL, else OpenAI's)
  --lock-ms N        a step's lock; a dead worker's watches move on after about this long (default 30000)
  --speed N          with a sped-up simulator: clock ms per real ms (and --origin, the clock's origin, epoch ms)
  --origin MS
  --metrics-port N   serve /metrics (Prometheus text), /healthz and /readyz on this port
  --metrics-host H   the address they listen on (default 127.0.0.1; 0.0.0.0 for a scraper on another host)
  --log json         one JSON line per event (step errors, 429 pauses, Redis errors, watches ended with an error)
  -h, --help         show this help

Environment: OPENAI_API_KEY (required), OPENAI_BASE_URL.

Examples:
  runstate worker --redis redis://127.0.0.1:6379 --rpm 500 --tools ./tools.js
  OPENAI_API_KEY=sim runstate worker --redis redis://127.0.0.1:6379 --base-url http://127.0.0.1:4010/v1
  runstate worker --redis redis://127.0.0.1:6379 --metrics-port 9464 --metrics-host 0.0.0.0 --log json
  runstate worker --redis redis://127.0.0.1:6379 --kinds ./my-kinds.js`;

async function loadTools(path: string | undefined): Promise<ToolHandlers> {
  if (path === undefined) return {};
  const module = await importModule('--tools', path);
  const exports =
    module.default && typeof module.default === 'object'
      ? (module.default as Record<string, unknown>)
      : module;
  const tools = Object.fromEntries(Object.entries(exports).filter(([, v]) => typeof v === 'function'));
  if (Object.keys(tools).length === 0) throw new CliError(`--tools ${path}: exports no handler functions`);
  return tools as ToolHandlers;
}

async function importModule(flag: string, path: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`${flag} ${path}: cannot load it (${(error as Error).message})`);
  }
}

/**
 * The defined kinds an export holds: itself, or those of an array or object (`export default [a, b]`,
 * `export default { a, b }`, and a CommonJS module's `module.exports`, which is its `default`).
 */
function kindsIn(value: unknown): AnyDefinedKind[] {
  if (isDefinedKind(value)) return [value];
  if (Array.isArray(value)) return value.filter(isDefinedKind);
  return value && typeof value === 'object' ? Object.values(value).filter(isDefinedKind) : [];
}

/** The kinds the modules export, each checked by `createRunWorker` (a name defined twice is refused there). */
async function loadKinds(paths: readonly string[] | undefined): Promise<AnyDefinedKind[]> {
  const kinds: AnyDefinedKind[] = [];
  for (const path of paths ?? []) {
    const module = await importModule('--kinds', path);
    const values = Object.values(module).flatMap(kindsIn);
    if (values.length === 0) {
      throw new CliError(
        `--kinds ${path}: exports no kinds made with defineKind (import it from runstate/kinds, export what it returns)`,
      );
    }
    for (const kind of values) if (!kinds.includes(kind)) kinds.push(kind);
  }
  return kinds;
}

/** `--approvals MODULE`: its default export, or its export named `approvals`, decides a session's approvals. */
async function loadApprovals(path: string | undefined): Promise<ApprovalHandler | undefined> {
  if (path === undefined) return undefined;
  const module = await importModule('--approvals', path);
  const handler = typeof module.default === 'function' ? module.default : module.approvals;
  if (typeof handler !== 'function') {
    throw new CliError(`--approvals ${path}: exports no function (a default export, or one named approvals)`);
  }
  return handler as ApprovalHandler;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: [...argv],
      options: {
        redis: { type: 'string' },
        name: { type: 'string', default: 'runstate' },
        rpm: { type: 'string' },
        concurrency: { type: 'string' },
        tools: { type: 'string' },
        kinds: { type: 'string', multiple: true },
        approvals: { type: 'string' },
        'base-url': { type: 'string' },
        'lock-ms': { type: 'string' },
        speed: { type: 'string' },
        origin: { type: 'string' },
        'metrics-port': { type: 'string' },
        'metrics-host': { type: 'string' },
        log: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }),
  );
  const connection = redisFlag(values.redis);
  const apiKey = io.env.OPENAI_API_KEY;
  if (!apiKey) {
    throw new UsageError(
      'OPENAI_API_KEY is not set: export your API key (against the simulator any value works, e.g. OPENAI_API_KEY=sim)',
    );
  }
  const baseURL = values['base-url'] ?? io.env.OPENAI_BASE_URL;
  const client = new OpenAI({ apiKey, ...(baseURL ? { baseURL } : {}) });
  const speed = positive('speed', values.speed);
  const origin = integer('origin', values.origin, { min: 0 });
  const clock = speed === undefined ? undefined : createScaledClock(speed, origin ?? Date.now());
  const rpm = integer('rpm', values.rpm, { min: 2 });
  const concurrency = integer('concurrency', values.concurrency, { min: 1, max: 10_000 });
  const lockDurationMs = integer('lock-ms', values['lock-ms'], { min: 100 });
  const tools = await loadTools(values.tools);
  const kinds = await loadKinds(values.kinds);
  const approvals = await loadApprovals(values.approvals);
  const metricsPort = port('metrics-port', values['metrics-port']);
  if (values.log !== undefined && values.log !== 'json') {
    throw new UsageError(`--log takes json (got ${JSON.stringify(values.log)})`);
  }
  const logger = values.log === 'json' ? jsonLogger((line) => io.stdout.write(line)) : undefined;
  // Before the worker exists: its instruments are created against this SDK.
  let readiness: RunWorker | undefined;
  const metricsServer =
    metricsPort === undefined
      ? undefined
      : await startMetricsServer({
          port: metricsPort,
          ...(values['metrics-host'] ? { host: values['metrics-host'] } : {}),
          ready: async () => readiness?.ready() ?? { ready: false, reason: 'the worker is starting' },
        });

  const stop = interruption();
  try {
    const worker = await createRunWorker({
      connection,
      name: values.name,
      client,
      tools,
      ...(kinds.length > 0 ? { kinds } : {}),
      ...(approvals ? { approvals } : {}),
      ...(rpm === undefined ? {} : { rpm }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(lockDurationMs === undefined ? {} : { lockDurationMs }),
      ...(clock ? { now: () => clock.now(), speed } : {}),
      ...(logger ? { logger } : {}),
    }).catch((error: unknown) => {
      if (isRunstateError(error)) throw new CliError(error.message, 1);
      throw error;
    });
    readiness = worker;
    worker.worker.on('error', (error) =>
      logger?.error(
        { event: 'redis_error', error: error.message },
        'runstate worker: Redis connection error',
      ),
    );
    if (metricsServer) io.stdout.write(`metrics on ${metricsServer.url}metrics\n`);
    const shared = rpm ? `, ${rpm} rpm shared` : '';
    const own = kinds.length > 0 ? `, kinds ${kinds.map((k) => k.kind).join(', ')}` : '';
    io.stdout.write(
      `worker ready: queue ${values.name} on ${connection.host}:${connection.port}${shared}${own}\n`,
    );
    await aborted(stop.signal);
    await worker.close();
    await metricsServer?.close();
    io.stdout.write(`worker stopped after ${worker.stats().steps} steps\n`);
    return 0;
  } finally {
    stop.dispose();
    await metricsServer?.close();
  }
}

/** `runstate worker`: advance durable watches from Redis. */
export const workerCommand: Command = { help, run };
