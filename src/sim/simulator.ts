import type { AddressInfo } from 'node:net';
import type { SimContext } from './context.js';
import {
  type WebhookDelivery,
  type WebhookDeliveryOptions,
  WebhookDispatcher,
  type WebhookEndpoint,
  type WebhookEndpointOptions,
  type WebhookFaults,
} from './delivery/webhooks.js';
import { FileStore } from './files/file-store.js';
import { filesRoutes } from './files/files.js';
import { createIds } from './ids.js';
import { isSimJobKind, SIM_KIND_SPECS, SIM_KINDS, type SimJobKind } from './jobs/kinds.js';
import { JobRegistry } from './jobs/registry.js';
import { createRandom, deriveSeed } from './scenario/random.js';
import {
  DEFAULT_SCENARIO,
  OUTCOMES,
  SCENARIO_METADATA_KEY,
  type Scenario,
  ScenarioError,
} from './scenario/scenario.js';
import { resolveScenario, validateScenario } from './scenario/validate.js';
import { badRequest } from './server/errors.js';
import { HttpFaultState, type HttpFaults } from './server/faults.js';
import { DEFAULT_RATE_LIMITS, type RateLimits } from './server/rate-limiter.js';
import { createSimServer } from './server/server.js';
import { type JobStats, jobStats, RequestCounter, type SimStats } from './server/stats.js';
import {
  type ClockOption,
  createManualClock,
  type ManualClock,
  resolveClock,
  type SimClock,
} from './time/clock.js';

/** Chooses the scenario of each new job (before `metadata.sim_scenario` overrides it). */
export type ScenarioPicker = (job: {
  kind: SimJobKind;
  metadata: Readonly<Record<string, string>> | null;
  /** 0 for the first job created, 1 for the next, ... */
  index: number;
}) => Scenario;

/** Every fault: the HTTP ones and, under `webhooks`, the delivery ones. */
export interface SimFaults extends HttpFaults {
  webhooks?: WebhookFaults | null;
}

/** Options of {@link startSimulator}. Everything is optional. */
export interface SimulatorOptions {
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /** Seeds every random choice: durations, outcome weights, fault dice, ids (default 1). */
  seed?: number;
  /** `'real'` (default), `{ speed: N }`, `'manual'`, or a clock from `createManualClock()`. */
  clock?: ClockOption | 'manual';
  /** The script of every job (default: complete after a few seconds), or a function choosing one per job. */
  scenario?: Scenario | ScenarioPicker;
  /** Named scenarios a job can pick with `metadata: { sim_scenario: '<name>' }`. */
  scenarios?: Readonly<Record<string, Scenario>>;
  /** Faults from the start; change them later with `sim.setFaults`. */
  faults?: SimFaults;
  /**
   * The limits every answer's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` headers describe, and that
   * the simulator enforces with 429s (default {@link DEFAULT_RATE_LIMITS}: 10,000 rpm, 2,000,000 tpm).
   * `faults.rpm` overrides `rpm` at runtime.
   */
  rateLimits?: Partial<RateLimits>;
  /** Require `Authorization: Bearer <apiKey>`; anything else gets a 401 `invalid_api_key`. */
  apiKey?: string;
  /** Webhook URLs to deliver job events to (more with `sim.registerWebhook`). */
  webhooks?: WebhookEndpointOptions | readonly WebhookEndpointOptions[];
  /** Webhook retry schedule, attempts, timeout, fetch. */
  webhookDelivery?: WebhookDeliveryOptions;
  /**
   * Also deliver `thread.run.<status>` webhooks for Assistants runs, which OpenAI never sends: runstate's webhook
   * and hybrid sources can watch runs with them, while a client that knows only OpenAI's event types misreads them.
   *
   * @defaultValue `false`: only the event types OpenAI sends
   */
  runWebhooks?: boolean;
}

/** A running simulator. */
export interface Simulator<C extends SimClock = SimClock> {
  /** `http://127.0.0.1:<port>/v1`: pass as `new OpenAI({ baseURL, apiKey })`. */
  readonly baseURL: string;
  readonly port: number;
  /** The clock; with a manual clock, drive it with `sim.clock.advance(ms)`. */
  readonly clock: C;
  /** Stops the server, pending deliveries and retries. Idempotent. */
  close(): Promise<void>;
  /** Requests, 429s, webhook counters and every job's timeline and retrieve count. */
  stats(): SimStats;
  /** One job's stats (any kind), or undefined for an unknown id. */
  job(id: string): JobStats | undefined;
  /** Replaces the fault keys given (`null` clears one); `webhooks` keys are merged the same way. */
  setFaults(partial: SimFaults): void;
  /** The faults in force. */
  faults(): SimFaults;
  /** Delivers every later job event to `url`, signed with `secret` (generated when omitted). */
  registerWebhook(url: string, secret?: string): WebhookEndpoint;
  /** Every webhook delivery so far, with its attempts. */
  webhookDeliveries(): readonly WebhookDelivery[];
  /** Resolves when no webhook attempt is in flight or due now (later retries wait for the clock). */
  flushWebhooks(): Promise<void>;
}

function checkOutcomeFits(kind: SimJobKind, scenario: Scenario): void {
  const { outcome = 'completed' } = scenario;
  const outcomes = typeof outcome === 'string' ? [outcome] : OUTCOMES.filter((o) => (outcome[o] ?? 0) > 0);
  const bad = outcomes.find((o) => SIM_KINDS[kind].impossibleOutcomes.includes(o));
  if (bad) throw new ScenarioError(`outcome: a ${kind} cannot end '${bad}'`);
}

/**
 * Starts an OpenAI-compatible server on 127.0.0.1 that runs scripted Assistants runs, background responses
 * and batches, with injectable faults and signed webhooks. The official `openai` SDK works against it unchanged.
 *
 * @example
 * const sim = await startSimulator({ clock: 'manual' });
 * const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim' });
 * const r = await client.responses.create({ model: 'gpt-4o', input: 'hi', background: true });
 * await sim.clock.advance(5000);
 * (await client.responses.retrieve(r.id)).status; // 'completed'
 * await sim.close();
 */
export function startSimulator(
  options: SimulatorOptions & { clock: ManualClock | 'manual' },
): Promise<Simulator<ManualClock>>;
export function startSimulator(options?: SimulatorOptions): Promise<Simulator>;
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const seed = options.seed ?? 1;
  const clock = options.clock === 'manual' ? createManualClock() : resolveClock(options.clock);
  const named: Record<string, Scenario> = {};
  for (const [name, s] of Object.entries(options.scenarios ?? {}))
    named[name] = validateScenario(s, `scenarios.${name}`);
  const pick = options.scenario;
  const fixed =
    typeof pick === 'function' ? undefined : validateScenario(pick ?? DEFAULT_SCENARIO, 'scenario');

  const rateLimits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  for (const [key, value] of Object.entries(rateLimits)) {
    if (!(Number.isFinite(value) && value > 0))
      throw new RangeError(`rateLimits.${key}: expected > 0, got ${value}`);
  }
  const faults = new HttpFaultState(createRandom(deriveSeed(seed, 'faults')), rateLimits);
  const webhooks = new WebhookDispatcher(
    clock,
    createIds(createRandom(deriveSeed(seed, 'webhook-ids'))),
    createRandom(deriveSeed(seed, 'webhook-faults')),
    options.webhookDelivery,
  );
  const setFaults = (partial: SimFaults) => {
    const { webhooks: hooks, ...http } = partial;
    faults.set(http);
    if (hooks === null)
      webhooks.setFaults(Object.fromEntries(Object.keys(webhooks.currentFaults).map((k) => [k, null])));
    else if (hooks) webhooks.setFaults(hooks);
  };
  setFaults(options.faults ?? {});
  const endpoints =
    options.webhooks === undefined
      ? []
      : Array.isArray(options.webhooks)
        ? options.webhooks
        : [options.webhooks];
  for (const endpoint of endpoints as WebhookEndpointOptions[]) webhooks.register(endpoint);

  const jobs = new JobRegistry(clock, (job, step) => {
    const event = job.eventFor(step);
    if (event && (!event.simulatorOnly || options.runWebhooks)) {
      const { simulatorOnly: _, ...sent } = event;
      webhooks.publish(sent, step.at);
    }
  });
  let jobIndex = 0;
  let scenarioIndex = 0;
  const ctx: SimContext = {
    clock,
    ids: createIds(createRandom(deriveSeed(seed, 'ids'))),
    jobs,
    files: new FileStore(),
    jobRandom: () => createRandom(deriveSeed(seed, `job:${jobIndex++}`)),
    scenarioFor(kind, metadata) {
      // A kind asks under its own name; any other is a bug in its folder, not a bad request.
      if (!isSimJobKind(kind)) throw new TypeError(`no simulator kind named ${JSON.stringify(kind)}`);
      try {
        const base =
          fixed ?? validateScenario((pick as ScenarioPicker)({ kind, metadata, index: scenarioIndex++ }));
        const scenario = resolveScenario(metadata?.[SCENARIO_METADATA_KEY], base, named);
        checkOutcomeFits(kind, scenario);
        return scenario;
      } catch (error) {
        if (!(error instanceof ScenarioError)) throw error;
        throw badRequest(
          `Invalid simulator scenario: ${error.message}`,
          `metadata.${SCENARIO_METADATA_KEY}`,
          'invalid_sim_scenario',
        );
      }
    },
  };

  const counter = new RequestCounter();
  const http = createSimServer({
    routes: [
      ...SIM_KIND_SPECS.flatMap((spec) => spec.routes(ctx)),
      ...filesRoutes(
        ctx,
        SIM_KIND_SPECS.flatMap((spec) => spec.filePurposes ?? []),
      ),
    ],
    clock,
    faults,
    counter,
    jobs,
    ids: createIds(createRandom(deriveSeed(seed, 'request-ids'))),
    apiKey: options.apiKey,
  });
  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(options.port ?? 0, '127.0.0.1', () => {
      http.server.off('error', reject);
      resolve();
    });
  });
  const { port } = http.server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    clock,
    close() {
      closing ??= (async () => {
        webhooks.close();
        jobs.close();
        await http.close();
      })();
      return closing;
    },
    stats() {
      const now = clock.now();
      const all: Record<string, JobStats> = {};
      for (const { job } of jobs.entries()) all[job.id] = jobStats(jobs, job.id, now)!;
      return {
        now,
        requests: counter.snapshot(),
        rateLimited: counter.rateLimited,
        serverErrors: counter.serverErrors,
        dropped: counter.dropped,
        streamsDropped: counter.streamsDropped,
        webhooks: { ...webhooks.stats },
        jobs: all,
      };
    },
    job: (id) => jobStats(jobs, id, clock.now()),
    setFaults,
    faults: () => ({ ...faults.current, webhooks: { ...webhooks.currentFaults } }),
    registerWebhook: (url, secret) => webhooks.register({ url, secret }),
    webhookDeliveries: () => webhooks.deliveries(),
    flushWebhooks: () => webhooks.flush(),
  };
}
