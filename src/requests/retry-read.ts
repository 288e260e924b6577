import { classifyRequestError, type RequestFailure } from '../errors/from-api-error.js';
import { RetriesExhaustedError } from '../errors/retries-exhausted-error.js';
import type { StatusEvent } from '../model/types.js';
import { type BackoffPolicy, nextDelay } from '../sources/backoff.js';
import { DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BACKOFF } from '../sources/poll.js';
import { retryHintMs } from '../sources/server-hint.js';
import { type AdapterCall, abortedError, type RequestDeps, send, sleep } from './request-deps.js';

/** Options of {@link retryRead}. Every field has a default. */
export interface RetryReadOptions {
  /**
   * Names the read in errors.
   *
   * @defaultValue `adapter.describe(job)` ("run run_abc on thread thread_xyz")
   */
  what?: string;
  /**
   * The read. Any call that changes nothing on the server may go here.
   *
   * @defaultValue `adapter.retrieve`
   */
  read?: AdapterCall;
  /**
   * Transient failures in a row (429, 408, 409, 5xx, network) retried before giving up; `Infinity` leaves the
   * bound to `until`.
   *
   * @defaultValue `8`, as `poll()`
   */
  maxRetries?: number;
  /**
   * Epoch ms on `deps.scheduler`: no retry starts at or after it.
   *
   * @defaultValue none
   */
  until?: number;
  /**
   * The retry schedule.
   *
   * @defaultValue 1 s, ×2, capped at 30 s, full jitter (as `poll()`'s retries)
   */
  backoff?: BackoffPolicy;
}

/** A transient failure, as {@link classifyRequestError} sorts it. */
export type TransientFailure = Extract<RequestFailure, { transient: true }>;

/** The error of a rule whose bound ran out with the job's state unknown. */
export function exhaustedError(
  deps: RequestDeps,
  what: string,
  attempts: number,
  failure: TransientFailure,
  why: string,
): RetriesExhaustedError {
  const last = failure.status === undefined ? 'a network error' : `HTTP ${failure.status}`;
  return new RetriesExhaustedError(`${what}: ${attempts} requests failed (last: ${last}); ${why}`, attempts, {
    job: deps.job,
    status: failure.status,
    cause: failure.cause,
  });
}

/**
 * The delay before retry number `failures` (1 for the first retry): the backoff, raised to the server's
 * `retry-after-ms` / `retry-after` hint, which is a lower bound.
 */
export function retryDelay(
  deps: RequestDeps,
  backoff: BackoffPolicy,
  failures: number,
  failure: TransientFailure,
): number {
  const now = deps.scheduler.now();
  return nextDelay(backoff, failures - 1, {
    random: deps.random,
    now,
    hintMs: retryHintMs(failure.headers, now),
  });
}

/**
 * Shared request rule: a read (retrieve, or any call that changes nothing) retried with backoff on 429, 408,
 * 409, 5xx and network errors, honouring server hints as lower bounds, within `maxRetries` failures in a row and
 * before `until`. A read is always safe to retry.
 *
 * Resolves with the observation (stamped `deps.scheduler.now()`, source `'poll'`). Rejects with the typed error of
 * a final answer (401/403 `AuthenticationError`, 404 `NotFoundError`, other 4xx `BadRequestError`), with
 * `RetriesExhaustedError` when the bound ran out (the job's state is unknown), or with `AbortedError` when
 * `deps.signal` aborts.
 *
 * @example
 * const seen = await retryRead({ client, adapter, job, scheduler, signal, meter, random }, { until: expiresAt + 120_000 });
 * if (seen.state === 'expired') ...
 */
export async function retryRead(deps: RequestDeps, options: RetryReadOptions = {}): Promise<StatusEvent> {
  const what = options.what ?? deps.adapter.describe(deps.job);
  const read: AdapterCall = options.read ?? ((o) => deps.adapter.retrieve(deps.client, deps.job, o));
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const until = options.until ?? Number.POSITIVE_INFINITY;
  const backoff = options.backoff ?? DEFAULT_RETRY_BACKOFF;
  for (let failures = 0; ; ) {
    try {
      return await send(deps, read);
    } catch (e) {
      if (deps.signal.aborted) throw abortedError(deps, `reading ${what}`);
      const failure = classifyRequestError(e, deps.job, what);
      if (!failure.transient) throw failure.error;
      failures++;
      if (failures > maxRetries) {
        throw exhaustedError(deps, what, failures, failure, "the job's state is unknown");
      }
      const wait = retryDelay(deps, backoff, failures, failure);
      if (deps.scheduler.now() + wait >= until) {
        throw exhaustedError(deps, what, failures, failure, "the job's state is unknown");
      }
      await sleep(deps, wait, `reading ${what}`);
    }
  }
}
