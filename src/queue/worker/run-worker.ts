import { setMaxListeners } from 'node:events';
import {
  type ConnectionOptions,
  DelayedError,
  type Job,
  Queue,
  type Telemetry,
  UnrecoverableError,
  Worker,
} from 'bullmq';
import type OpenAI from 'openai';
import { ConfigurationError } from '../../errors/configuration-error.js';
import { type AnyDefinedKind, useKinds } from '../../kinds/define-kind.js';
import { kindSpec } from '../../kinds/registry.js';
import type { RunSnapshot } from '../../model/types.js';
import {
  type BackoffOptions,
  DEFAULT_POLL_BACKOFF,
  MAX_TIMER_MS,
  resolveBackoff,
} from '../../sources/backoff.js';
import { startStepTelemetry } from '../../telemetry/queue-telemetry.js';
import type { TelemetryOptions } from '../../telemetry/watch-telemetry.js';
import { type ApprovalHandler, approvalTools } from '../../tools/approvals.js';
import type { ToolErrorPolicy, ToolHandlers } from '../../tools/tools.js';
import { changeKey } from '../../watch/snapshot.js';
import type { WebhookHub } from '../../webhooks/hub.js';
import { checkConnection, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_QUEUE_NAME, whenReady } from '../connection.js';
import { encodeFault } from '../fault-codec.js';
import { cancelKeyType, decodeCancel } from '../queue/cancel-request.js';
import { watchOutcome as outcome, type StateTally, stateTally, type TallyChange } from '../state-tally.js';
import { runStep, type StepResult } from '../step/step.js';
import { publishedSnapshot } from '../stored-snapshot.js';
import { type TrafficCounter, trafficCounter } from '../traffic.js';
import { parseWatchData } from '../watch-data.js';
import { connectHub, type HubBridge } from '../webhooks/webhook-bridge.js';
import { decodeInbox, inboxKeyType, type QueueWebhookFetch } from '../webhooks/webhook-inbox.js';
import { type LimiterOptions, limiterFor, MIN_RPM } from './limiter.js';
import { type ConnectionEvents, logReconnects } from './reconnect-log.js';
import { type RequestSlots, requestSlots } from './request-slots.js';
import { storedForm, withFullJob } from './slim-job.js';
import { readStep, stepKeys, writeStep } from './step-redis.js';
import { DEFAULT_WATCHES_GAUGE_INTERVAL_MS, startWatchesGaugeLoop } from './watches-gauge-loop.js';

/** Options of {@link createRunWorker}. */
export interface RunWorkerOptions extends TelemetryOptions {
  /** Redis: `{ host, port }` or an ioredis instance (with `maxRetriesPerRequest: null`). */
  connection: ConnectionOptions;
  /**
   * The queue's name, as given to `createRunQueue`.
   *
   * @defaultValue `'runstate'`
   */
  name?: string;
  /** The OpenAI client every step uses; runstate never reads OPENAI_API_KEY itself. */
  client: OpenAI;
  /**
   * The kinds you defined with `defineKind` whose watches this worker steps: a worker runs in its own process,
   * which must know them by name (import the module that defines them and pass them here).
   *
   * @defaultValue none: only the kinds runstate ships
   */
  kinds?: readonly AnyDefinedKind[];
  /** Handlers for `requires_action` tool calls, by tool name. They receive the call id: make them idempotent. */
  tools?: ToolHandlers;
  /**
   * Decides an agent session's approval requests (MCP, computer use), once per request id, as `watchRun`'s
   * `approvals` does. Without it no approval is ever answered: the snapshot lists it and the turn waits for the
   * user.
   */
  approvals?: ApprovalHandler;
  /**
   * What a throwing handler does: `'report'` or `'fail'`.
   *
   * @defaultValue `'report'`
   */
  onToolError?: ToolErrorPolicy;
  /**
   * The organisation's requests per minute, shared by every worker of the queue (BullMQ's global limiter). Every
   * HTTP request counts: a step that sends two (a fine-tune's events read) takes two.
   */
  rpm?: number;
  /**
   * Steps this worker runs at once.
   *
   * @defaultValue `10`
   */
  concurrency?: number;
  /** A webhook hub: its verified events make the watch of their job step now, whichever worker holds it. */
  hub?: WebhookHub;
  /**
   * What a step does with the webhook events handed to its watch (by this worker's hub or any `connectHub`):
   * `'always'` reads the job, so the terminal snapshot carries the full object; `'when-needed'` applies a terminal
   * event without a read (0 retrieves; no output or usage in the snapshot), and reads for any other event.
   *
   * @defaultValue `'always'`, as `webhookSource`
   */
  webhookFetch?: QueueWebhookFetch;
  /**
   * One poll schedule for every kind (fields left out are `DEFAULT_POLL_BACKOFF`'s: 500 ms ×1.5 up to 5 s, no
   * jitter). Retries after failed reads keep their own backoff.
   *
   * @defaultValue each kind's own schedule, as `poll()` gives it in process (`defaults.poll` of its spec, a defined
   *   kind's too): a fine-tune or a batch is read at a delay growing with its age, a response as the seed did
   *   until about 3 minutes (docs/kinds.md)
   */
  poll?: BackoffOptions;
  /**
   * Give up with a `QueueUnavailableError` when Redis is not reachable within this many ms.
   *
   * @defaultValue `5000`
   */
  connectTimeoutMs?: number;
  /**
   * Epoch ms clock (the API's; a sped-up simulator's in tests).
   *
   * @defaultValue `Date.now`
   */
  now?: () => number;
  /**
   * Clock ms per wall-clock ms, when `now` runs faster than real time.
   *
   * @defaultValue `1`
   */
  speed?: number;
  /**
   * Random source in [0, 1) for jitter.
   *
   * @defaultValue `Math.random`
   */
  random?: () => number;
  /**
   * How long a step's lock lasts without renewal: a worker that died (or lost Redis) mid-step hands its watch to
   * another worker after about this long.
   *
   * @defaultValue `30_000` (BullMQ's)
   */
  lockDurationMs?: number;
  /** BullMQ's own `telemetry` option (`new BullMQOtel(name)` from `bullmq-otel`), passed to its worker. */
  bullmqTelemetry?: Telemetry;
  /**
   * How often the queue's durable watches by kind and state are read from Redis into `runstate.watches.active`.
   * One worker of the queue at a time reports them (a lease in Redis), so a sum over workers counts each watch once.
   *
   * @defaultValue `5000`
   */
  watchesGaugeIntervalMs?: number;
}

/** A running worker. */
export interface RunWorker {
  /** The BullMQ worker underneath. */
  readonly worker: Worker;
  /** Steps run, and webhook events routed or dropped, since start. */
  stats(): { steps: number; webhooks: { promoted: number; dropped: number } };
  /**
   * Whether this worker can do its work now: running, not closing, and Redis answering a PING within
   * `timeoutMs`. What a readiness probe asks (`runstate worker --metrics-port` serves it as `/readyz`).
   */
  ready(timeoutMs?: number): Promise<{ ready: boolean; reason?: string }>;
  /** Finishes the steps in flight and closes every connection. */
  close(): Promise<void>;
}

// No budget of our own: a limit no fleet reaches, so that a 429's manual rate limit still stops every worker.
const UNLIMITED: LimiterOptions = { max: 1_000_000_000, duration: 60_000 };

/**
 * How long ended watches stay in Redis: a day for a terminal snapshot (`result()` and `observe()` answer from it),
 * a week for a typed error. A worker's setting rather than each job's, so that no job stores it.
 */
const RETENTION = {
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

// Reads after a failure: a jittered backoff from 1 s up to 30 s.
const RETRY_BACKOFF = resolveBackoff({ initialDelayMs: 1000, factor: 2, maxDelayMs: 30_000, jitter: 'full' });

/** What a progress event carries: that the watch's snapshot changed, and to what state (for dashboards). */
function progressNotice(s: RunSnapshot): { state: string } {
  return { state: s.state };
}

/** Where a step left its watch on the tally: ended with its outcome, or in a new state (`moved`). */
function tallyStep(id: string, result: StepResult, moved: boolean): { tally?: TallyChange } {
  if (result.next === 'done' || result.next === 'fault')
    return { tally: { jobId: id, outcome: outcome(result) } };
  return moved ? { tally: { jobId: id, state: result.snapshot.state } } : {};
}

/**
 * Starts a worker that advances durable watches: each step restores the watch from its job, makes at most one
 * request, persists, and sleeps as a delayed job. Run as many as you like, on as many machines; BullMQ hands a
 * watch whose worker died to another one.
 *
 * @example
 * const worker = await createRunWorker({ connection, client: new OpenAI(), rpm: 500, tools: { get_weather } });
 */
export async function createRunWorker(options: RunWorkerOptions): Promise<RunWorker> {
  const name = options?.name ?? DEFAULT_QUEUE_NAME;
  checkConnection(options?.connection, name, 'createRunWorker');
  const { connection, client, onToolError = 'report', hub, webhookFetch = 'always' } = options;
  if (options.approvals !== undefined && typeof options.approvals !== 'function') {
    throw new ConfigurationError(
      'createRunWorker: approvals must be a function (approval, call) => decision',
    );
  }
  // Approvals run as the tools of their reserved names (`approval:mcp`, `approval:computer_use`), as in process:
  // the same once-per-id record of answered calls covers them.
  const tools: ToolHandlers = { ...options.tools, ...approvalTools(options.approvals) };
  if (!client || typeof client !== 'object' || !('baseURL' in client)) {
    throw new ConfigurationError('createRunWorker needs `client`: an OpenAI client (new OpenAI({ apiKey }))');
  }
  useKinds(options.kinds, 'createRunWorker');
  const concurrency = options.concurrency ?? 10;
  if (!(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new ConfigurationError(
      `createRunWorker: concurrency must be a positive integer (got ${concurrency})`,
    );
  }
  if (options.rpm !== undefined && !(Number.isInteger(options.rpm) && options.rpm >= MIN_RPM)) {
    throw new ConfigurationError(
      `createRunWorker: rpm must be an integer >= ${MIN_RPM} (got ${options.rpm})`,
    );
  }
  if (webhookFetch !== 'always' && webhookFetch !== 'when-needed') {
    throw new ConfigurationError(
      `createRunWorker: webhookFetch must be 'always' or 'when-needed' (got ${JSON.stringify(webhookFetch)})`,
    );
  }
  const gaugeMs = options.watchesGaugeIntervalMs;
  if (gaugeMs !== undefined && !(Number.isInteger(gaugeMs) && gaugeMs >= 10)) {
    throw new ConfigurationError(
      `createRunWorker: watchesGaugeIntervalMs must be an integer >= 10 (got ${gaugeMs})`,
    );
  }
  const now = options.now ?? Date.now;
  const speed = options.speed ?? 1;
  const random = options.random ?? Math.random;
  // Given: one backoff for every kind, as before; absent: each kind's own schedule (step-delay.ts).
  const poll = options.poll && resolveBackoff(options.poll, DEFAULT_POLL_BACKOFF, 'poll');
  const wallMs = (clockMs: number) => Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(clockMs / speed)));
  const scaled = (l: LimiterOptions): LimiterOptions => ({ max: l.max, duration: wallMs(l.duration) });
  // Always a limiter: BullMQ applies a manual rate limit (a 429's retry-after) only to a limited queue.
  const limiter = options.rpm ? scaled(limiterFor(options.rpm)) : UNLIMITED;
  const closing = new AbortController();
  // Every step in flight listens to this signal (one listener each, removed when the step ends): not a leak.
  setMaxListeners(0, closing.signal);
  let steps = 0;

  // Set once Redis answered, before the worker runs its first step.
  let tally: StateTally;
  let traffic: TrafficCounter;
  // BullMQ 6 sets a manual rate limit through the queue (Worker.rateLimit is deprecated): one connection more.
  let limits: Queue;
  // The requests of a step beyond its first take their slots in the same limiter (request-slots.ts).
  let slots: RequestSlots;

  const processor = async (job: Job, token?: string) => {
    steps++;
    const id = String(job.id);
    let data: ReturnType<typeof parseWatchData>;
    try {
      // The stored machine keeps a slim object; the full one comes back from the published snapshot.
      const parsed = parseWatchData(job.data, id);
      data = withFullJob(parsed, parsed.snapshot ?? job.progress);
    } catch (e) {
      await tally.endUnread(id, 'error');
      throw new UnrecoverableError(encodeFault(e));
    }
    const redis = await worker.backend.client;
    const cancelKey = worker.toKey(cancelKeyType(id));
    // Webhook events left by a bridge since the last step; removed only once the step persisted what they did.
    const inboxKey = worker.toKey(inboxKeyType(id));
    const stepped = data.machine !== undefined;
    const before = data.poll.state;
    const { cancelRequest, inbox } = await readStep(
      redis,
      { cancel: cancelKey, inbox: inboxKey },
      tally,
      // On the tally from its first step, before it can end: only a watch on it counts when it ends.
      stepped ? undefined : { jobId: id, state: 'queued' },
    );
    const abort = decodeCancel(cancelRequest);
    // A signal of this step's own, dropped with it: the openai SDK never removes the listener it adds to a
    // request's signal, so a worker-long signal would keep every request of every step alive (heap grew with steps).
    const stepAbort = new AbortController();
    const onClose = () => stepAbort.abort();
    closing.signal.addEventListener('abort', onClose, { once: true });
    const spec = kindSpec(data.job.kind);
    const recorder = startStepTelemetry(options, {
      kind: spec.kind,
      jobId: spec.jobId(data.job),
      ...(data.trace ? { traceparent: data.trace } : {}),
      ...(data.dueAt !== undefined ? { dueAt: data.dueAt } : {}),
      now,
    });
    const callsBefore = data.calls;
    let result: StepResult;
    try {
      result = await runStep(data, {
        client,
        tools,
        onToolError,
        now,
        speed,
        random,
        poll,
        retry: RETRY_BACKOFF,
        save: (d) => job.updateData(storedForm(d)),
        signal: stepAbort.signal,
        takeRequestSlot: (signal) => slots.take(signal),
        ...(abort ? { abort } : {}),
        webhooks: decodeInbox(inbox),
        webhookFetch,
        ...(recorder ? { instrument: recorder.adapter, recordTool: recorder.runTool } : {}),
      });
    } catch (error) {
      recorder?.end({ result: 'error', error });
      throw error;
    } finally {
      closing.signal.removeEventListener('abort', onClose);
    }
    recorder?.end({
      result: result.next,
      snapshot: result.snapshot,
      ...(result.next === 'fault' ? { error: result.error } : {}),
    });
    // When the next step is due (wall clock), for its lateness.
    if (result.next === 'wait' || result.next === 'rate_limited')
      data.dueAt = Date.now() + wallMs(result.delayMs);
    const key = changeKey(result.snapshot);
    const published = publishedSnapshot(data);
    const publish = result.next !== 'done' && (published === undefined || changeKey(published) !== key);
    if (publish) data.snapshot = result.snapshot;
    // For `runstate queue`: requests per minute and 429s, every worker together.
    traffic.record(data.calls - callsBefore, result.next === 'rate_limited' ? 1 : 0);
    // BullMQ's manual rate limit: the whole queue waits, not only this worker. Set before this step persists, so
    // that no worker starts a step in the meantime (only steps already under way may still send their request).
    if (result.next === 'rate_limited') await limits.rateLimit(wallMs(result.delayMs));
    const notice = publish ? progressNotice(result.snapshot) : undefined;
    // BullMQ's metrics (bullmqTelemetry) count a delayed job only in its own moveToDelayed: then the move is its.
    const delayUntil =
      result.next === 'wait' && !options.bullmqTelemetry
        ? { at: data.dueAt ?? Date.now() + wallMs(result.delayMs), token: token ?? '0' }
        : undefined;
    // One round trip, in this order (step-redis.ts). The tally after the data: a step run again after a crash
    // restores the ended machine and cannot count it twice. A step BullMQ runs again (stalled, or retried) may
    // follow one that saved its data but not its state on the tally. The stop request is deleted once the machine
    // persisted with it, so a later step does not stop it twice; the inbox loses only the events this step took.
    const { inboxLeft } = await writeStep(redis, worker.backend, job, stepKeys(worker, id), tally, {
      // The notice, not the snapshot: BullMQ copies each progress into the event stream (observe reads the job).
      data: storedForm(data),
      ...(notice ? { progress: notice } : {}),
      ...tallyStep(
        id,
        result,
        !stepped || result.snapshot.state !== before || job.stalledCounter > 0 || job.attemptsMade > 0,
      ),
      ...(abort ? { cancelKey } : {}),
      inbox: { key: inboxKey, taken: inbox.length },
      ...(delayUntil ? { delayUntil } : {}),
    });
    if (notice) worker.emit('progress', job, notice);
    switch (result.next) {
      case 'done':
        return result.snapshot;
      case 'fault':
        throw new UnrecoverableError(encodeFault(result.error));
      case 'rate_limited':
        throw Worker.RateLimitError();
      case 'wait':
        if (!delayUntil) await job.moveToDelayed(data.dueAt ?? Date.now() + wallMs(result.delayMs), token);
        // A bridge that saw this watch active left its event without promoting: step again now for it.
        if ((delayUntil ? inboxLeft : await redis.llen(inboxKey)) > 0) await job.promote().catch(() => {});
        throw new DelayedError();
    }
  };

  let lastError: unknown;
  const worker = new Worker(name, processor, {
    connection,
    ...(options.bullmqTelemetry ? { telemetry: options.bullmqTelemetry } : {}),
    concurrency,
    autorun: false,
    // A worker killed mid-step loses its lock; the stalled-job checker hands the watch to another worker.
    maxStalledCount: 10,
    ...(options.lockDurationMs
      ? { lockDuration: options.lockDurationMs, stalledInterval: Math.ceil(options.lockDurationMs / 2) }
      : {}),
    ...RETENTION,
    limiter,
  });
  worker.on('error', (e) => {
    lastError = e;
  });
  try {
    await whenReady(
      worker.waitUntilReady(),
      connection,
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      () => lastError,
    );
  } catch (e) {
    // close(), not disconnect(): BullMQ's disconnect waits for a connection that never came.
    await worker.close().catch(() => {});
    throw e;
  }
  tally = stateTally(await worker.backend.client, (type) => worker.toKey(type));
  // The worker's main connection: its blocking one and the limiter's queue lose Redis at the same moment.
  const stopReconnectLog = options.logger
    ? logReconnects((await worker.backend.client) as unknown as ConnectionEvents, options.logger)
    : undefined;
  const watchesGauge =
    options.telemetry === false
      ? undefined
      : startWatchesGaugeLoop(
          await worker.backend.client,
          (type) => worker.toKey(type),
          tally,
          gaugeMs ?? DEFAULT_WATCHES_GAUGE_INTERVAL_MS,
        );
  traffic = trafficCounter(await worker.backend.client, (type) => worker.toKey(type));
  // BullMQ's limiter counter (its `keys.limiter`), from the worker's prefix and queue name.
  slots = requestSlots(await worker.backend.client, worker.toKey('limiter'), limiter);
  limits = new Queue(name, {
    connection,
    skipMetasUpdate: true,
    ...(options.bullmqTelemetry ? { telemetry: options.bullmqTelemetry } : {}),
  });
  limits.on('error', (e) => {
    lastError = e;
  });
  // A step that failed for good without a typed error (its attempts spent, e.g. Redis lost again and again) leaves
  // the tally too; `end` is idempotent, so the typed faults the processor already counted change nothing.
  worker.on('failed', (job) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1))
      void tally.end(String(job.id), 'error').catch(() => {});
  });
  void worker.run().catch((e) => {
    lastError = e;
  });
  const bridge: HubBridge | undefined = hub ? connectHub(hub, worker.name, connection) : undefined;

  let closed: Promise<void> | undefined;
  return {
    worker,
    stats: () => ({ steps, webhooks: bridge?.stats() ?? { promoted: 0, dropped: 0 } }),
    async ready(timeoutMs = 1000) {
      if (closed) return { ready: false, reason: 'the worker is closing' };
      if (!worker.isRunning() || worker.isPaused())
        return { ready: false, reason: 'the worker takes no steps' };
      const redis = await worker.backend.client;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const answered = await Promise.race([
        redis.runCommand('ping', []).then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      return answered
        ? { ready: true }
        : { ready: false, reason: `Redis did not answer a PING within ${timeoutMs} ms` };
    },
    close() {
      closed ??= (async () => {
        await bridge?.close();
        stopReconnectLog?.();
        await watchesGauge?.stop();
        await worker.close();
        await traffic.flush();
        await limits.close();
        closing.abort();
      })();
      return closed;
    },
  };
}
