import { type ConnectionOptions, Job, Queue, QueueEvents, type Telemetry } from 'bullmq';
import type { Observable } from 'rxjs';
import { ConfigurationError } from '../../errors/configuration-error.js';
import { WatchNotFoundError } from '../../errors/watch-not-found-error.js';
import { kindSpec, specFor } from '../../kinds/registry.js';
import { NO_STATES } from '../../model/states.js';
import type { AnyDefinedRef, JobRef, RunSnapshot, RunState, SnapshotOf } from '../../model/types.js';
import { DEFAULT_POLL_BACKOFF } from '../../sources/backoff.js';
import { currentTraceparent } from '../../telemetry/queue-telemetry.js';
import { isWhenPaused, type WhenPaused } from '../../watch/when-paused.js';
import { checkConnection, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_QUEUE_NAME, whenReady } from '../connection.js';
import { RUNSTATE_KEY_PREFIX, watchJobId } from '../job-id.js';
import { watchJobState } from '../job-state.js';
import { gapCheckFromNow, routeByJob } from '../observe/event-router.js';
import { observeWatch } from '../observe/observe.js';
import { stateTally } from '../state-tally.js';
import { trafficCounter } from '../traffic.js';
import { jobProblem, newWatchData } from '../watch-data.js';
import { CANCEL_TTL_MS, cancelKeyType, encodeCancel } from './cancel-request.js';

/** Options of {@link createRunQueue}. */
export interface RunQueueOptions {
  /** Redis: `{ host, port }` (BullMQ makes its own clients) or an ioredis instance. */
  connection: ConnectionOptions;
  /**
   * The BullMQ queue's name; workers must use the same.
   *
   * @defaultValue `'runstate'`
   */
  name?: string;
  /**
   * Give up with a `QueueUnavailableError` when Redis is not reachable within this many ms.
   *
   * @defaultValue `5000`
   */
  connectTimeoutMs?: number;
  /**
   * Epoch ms clock for `startedAt` (the same clock the workers keep).
   *
   * @defaultValue `Date.now`
   */
  now?: () => number;
  /**
   * Clock ms per wall-clock ms, when `now` runs faster than real time (a sped-up simulator).
   *
   * @defaultValue `1`
   */
  speed?: number;
  /**
   * BullMQ's own `telemetry` option (`new BullMQOtel(name)` from `bullmq-otel`), passed to the queue and its
   * events: BullMQ's spans and `bullmq.*` metrics beside runstate's.
   */
  bullmqTelemetry?: Telemetry;
}

/** Options of one durable watch. */
export interface QueueWatchOptions {
  /**
   * Give up with `timed_out` this long after `watch()`.
   *
   * @defaultValue by kind (`DEFAULT_MAX_WAIT_MS`; a defined kind's `maxWaitMs`), or by the ref (a response's
   *   `completionWindow`)
   */
  maxWaitMs?: number;
  /**
   * What the watch does when the job is paused (a fine-tune's `paused`), as `watchRun`'s option: `'wait'` keeps
   * watching until it is resumed and ends; `'stop'` ends the watch on the paused snapshot, with a note (`result()`
   * resolves to it, `observe()` completes after it; the job stays paused on the server). Stored with the watch, so
   * every worker that steps it does the same.
   *
   * @defaultValue `'wait'`
   */
  whenPaused?: WhenPaused;
}

/**
 * Watches by state: by the state of their job (`byState`, as `watchRuns(...).pipe(progress())` counts them), and by
 * the state of their BullMQ job (`delayed` sleep until their next step, `waiting` are due, `active` are stepping).
 */
export interface WatchCounts {
  /**
   * Every state present. A watch going on counts in the state its job had at its last step; an ended watch in its
   * terminal state. Ended watches count from the queue's creation, while BullMQ removes ended jobs after a day.
   */
  byState: Record<RunState, number>;
  /** Watches no worker has stepped yet (not in `byState`). */
  starting: number;
  /** Watches stopped by `cancel()` before their job ended (not in `byState`). */
  stopped: number;
  /** Watches ended with a typed error: 404, 401, poisoned data (not in `byState`). */
  errors: number;
  waiting: number;
  delayed: number;
  active: number;
  /** Ended jobs BullMQ still keeps, with their terminal snapshot (`result`, `observe`). */
  completed: number;
  /** Ended with a typed error, kept by BullMQ. */
  failed: number;
  /** Requests to the API in the last 60 s, by every worker of the queue (retries included). */
  requestsPerMinute: number;
  /** Of those, the ones answered 429. */
  rateLimitedPerMinute: number;
}

/** Durable watches in Redis: start them from any process, observe them from any other. */
export interface RunQueue {
  /** Starts a durable watch; watching a job already watched returns the same watch. Resolves with its id. */
  watch(job: JobRef | AnyDefinedRef, options?: QueueWatchOptions): Promise<string>;
  /**
   * The watch as an Observable: current snapshot first, then each change; completes after the terminal one. A ref
   * of a kind defined with `defineKind` types the snapshots as `watchRun` does; for others, name the job type.
   */
  observe<Ref extends AnyDefinedRef>(job: Ref): Observable<SnapshotOf<Ref>>;
  observe<Job = unknown>(job: JobRef | AnyDefinedRef): Observable<RunSnapshot<Job>>;
  /**
   * The terminal snapshot (outcomes are values); rejects with the typed error of a failed watch. Typed as
   * `observe`'s snapshots are.
   */
  result<Ref extends AnyDefinedRef>(job: Ref): Promise<SnapshotOf<Ref>>;
  result<Job = unknown>(job: JobRef | AnyDefinedRef): Promise<RunSnapshot<Job>>;
  /**
   * Stops a watch at its next step (at once if it sleeps); with `cancelJob: true` the worker also cancels the
   * job on the server. The watch ends with a snapshot whose note says it was stopped. No-op for an ended watch.
   */
  cancel(job: JobRef | AnyDefinedRef, options?: { cancelJob?: boolean }): Promise<void>;
  /** Watches by state. */
  counts(): Promise<WatchCounts>;
  /**
   * Removes the queue and every watch in it, going on or ended, with runstate's keys beside BullMQ's (the tally,
   * stop requests, webhook events left for a step). For tests and teardown; close the workers first.
   */
  obliterate(): Promise<void>;
  /** The BullMQ queue underneath (for dashboards). */
  readonly queue: Queue;
  /** Closes every connection. */
  close(): Promise<void>;
}

/**
 * Creates the client side of durable watches on BullMQ: `watch` from a web server, `observe` or `result`
 * from anywhere. Workers (`createRunWorker`) advance the watches. Rejects with a `QueueUnavailableError` when
 * Redis cannot be reached, and a `ConfigurationError` for bad options.
 *
 * @example
 * const runs = await createRunQueue({ connection: { host: '127.0.0.1', port: 6379 } });
 * await runs.watch({ kind: 'batch', id: batch.id });
 * runs.observe({ kind: 'batch', id: batch.id }).subscribe((s) => console.log(s.state));
 */
export async function createRunQueue(options: RunQueueOptions): Promise<RunQueue> {
  const name = options?.name ?? DEFAULT_QUEUE_NAME;
  checkConnection(options?.connection, name, 'createRunQueue');
  const { connection } = options;
  const now = options.now ?? Date.now;
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new ConfigurationError('createRunQueue: speed must be > 0');
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;

  let lastError: unknown;
  const bullmq = options.bullmqTelemetry ? { telemetry: options.bullmqTelemetry } : {};
  const queue = new Queue(name, { connection, ...bullmq });
  queue.on('error', (e) => {
    lastError = e;
  });
  try {
    await whenReady(queue.waitUntilReady(), connection, timeoutMs, () => lastError);
  } catch (e) {
    // close(), not disconnect(): BullMQ's disconnect waits for a connection that never came.
    await queue.close().catch(() => {});
    throw e;
  }
  // Where the QueueEvents starts reading, taken just before it starts: a gap check errs toward a reread.
  const gaps = await gapCheckFromNow(await queue.backend.client, queue.keys.events!);
  // Created once Redis answered: a QueueEvents that never connected cannot be closed.
  const events = new QueueEvents(name, { connection, ...bullmq });
  events.on('error', (e) => {
    lastError = e;
  });
  await events.waitUntilReady();
  const router = routeByJob(events, gaps);
  const tally = stateTally(await queue.backend.client, (type) => queue.toKey(type));
  const traffic = trafficCounter(await queue.backend.client, (type) => queue.toKey(type));

  const check = (job: JobRef, who: string) => {
    const problem = jobProblem(job);
    if (problem) throw new ConfigurationError(`${who}: ${problem}`);
  };

  async function watch(job: JobRef, watchOptions: QueueWatchOptions = {}): Promise<string> {
    check(job, 'watch');
    const maxWaitMs = watchOptions.maxWaitMs ?? specFor(job).defaults.maxWaitMs;
    if (!(Number.isFinite(maxWaitMs) && maxWaitMs > 0)) {
      throw new ConfigurationError(`watch: maxWaitMs must be a positive number of ms (got ${maxWaitMs})`);
    }
    const { whenPaused = 'wait' } = watchOptions;
    if (!isWhenPaused(whenPaused)) {
      throw new ConfigurationError(
        `watch: whenPaused must be 'wait' or 'stop' (got ${JSON.stringify(whenPaused)})`,
      );
    }
    const id = watchJobId(job);
    // BullMQ ignores an add whose jobId exists: the job's key makes watch() idempotent.
    // Right after create a job is queued: the first read comes after the poll's initial delay.
    const delay = Math.ceil(DEFAULT_POLL_BACKOFF.initialDelayMs / speed);
    const data = newWatchData(job, now(), maxWaitMs, whenPaused);
    // The caller's span, so that every step, on any worker, joins the trace that created the job.
    const trace = currentTraceparent();
    if (trace) data.trace = trace;
    data.dueAt = Date.now() + delay;
    await queue.add('watch', data, {
      jobId: id,
      delay,
      // Faults are unrecoverable (typed); anything else (Redis lost mid-step) is retried.
      attempts: 50,
      backoff: { type: 'fixed', delay: 1000 },
      // How long ended watches stay is the workers' setting (RETENTION), not written into every job.
    });
    return id;
  }

  function observe<J = unknown>(job: JobRef): Observable<RunSnapshot<J>> {
    return observeWatch<J>(queue, router, job);
  }

  function result<J = unknown>(job: JobRef): Promise<RunSnapshot<J>> {
    return new Promise((resolve, reject) => {
      let last: RunSnapshot<J> | undefined;
      observe<J>(job).subscribe({
        next: (s) => {
          last = s;
        },
        error: reject,
        complete: () =>
          last ? resolve(last) : reject(new WatchNotFoundError('the watch ended without a snapshot')),
      });
    });
  }

  async function cancel(job: JobRef, cancelOptions: { cancelJob?: boolean } = {}): Promise<void> {
    check(job, 'cancel');
    const id = watchJobId(job);
    const found = await Job.fromId(queue, id);
    if (!found) {
      throw new WatchNotFoundError(`no durable watch for ${kindSpec(job.kind).describe(job)}`, { job });
    }
    const state = await watchJobState(found);
    if (state === 'completed' || state === 'failed') return;
    // Left beside the job, not in its data: a worker may be writing the data at this very moment.
    const redis = await queue.backend.client;
    await redis.set(queue.toKey(cancelKeyType(id)), encodeCancel(cancelOptions.cancelJob === true), {
      PX: CANCEL_TTL_MS,
    });
    if (state === 'delayed') await found.promote().catch(() => {});
  }

  async function counts(): Promise<WatchCounts> {
    const [c, t, r] = await Promise.all([
      queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized'),
      tally.read(),
      traffic.read(),
    ]);
    const byState: Record<RunState, number> = { ...NO_STATES };
    let going = 0;
    for (const [state, n] of Object.entries(t.live)) {
      if (state in byState) byState[state as RunState] += n;
      going += n;
    }
    for (const [outcome, n] of Object.entries(t.ended)) {
      if (outcome in byState) byState[outcome as RunState] += n;
    }
    const waiting = (c.waiting ?? 0) + (c.prioritized ?? 0);
    const delayed = c.delayed ?? 0;
    const active = c.active ?? 0;
    return {
      byState,
      // Two reads, not one snapshot: while watches step, this can be off by the few that moved in between.
      starting: Math.max(0, waiting + delayed + active - going),
      stopped: t.ended.stopped ?? 0,
      errors: t.ended.error ?? 0,
      waiting,
      delayed,
      active,
      requestsPerMinute: r.requestsPerMinute,
      rateLimitedPerMinute: r.rateLimitedPerMinute,
      completed: c.completed ?? 0,
      failed: c.failed ?? 0,
    };
  }

  async function obliterate(): Promise<void> {
    await queue.obliterate({ force: true });
    // BullMQ deletes the keys it knows; runstate's share the queue's prefix and a name of their own.
    const redis = await queue.backend.client;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, {
        MATCH: queue.toKey(`${RUNSTATE_KEY_PREFIX}*`),
        COUNT: 1000,
      });
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  let closing: Promise<void> | undefined;
  return {
    watch,
    observe,
    result,
    cancel,
    counts,
    obliterate,
    queue,
    close() {
      router.close();
      closing ??= Promise.all([events.close(), queue.close()]).then(() => {});
      return closing;
    },
  };
}
