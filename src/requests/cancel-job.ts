import { classifyRequestError } from '../errors/from-api-error.js';
import type { StatusEvent } from '../model/types.js';
import type { BackoffPolicy } from '../sources/backoff.js';
import { DEFAULT_RETRY_BACKOFF } from '../sources/poll.js';
import { abortedError, type RequestDeps, send, sleep } from './request-deps.js';
import { exhaustedError, retryDelay, retryRead } from './retry-read.js';

/** Options of {@link cancelJob}. */
export interface CancelJobOptions {
  /**
   * Cancel requests sent at most (429s and unanswered ones included).
   *
   * @defaultValue `4`
   */
  maxAttempts?: number;
  /**
   * The schedule of retries.
   *
   * @defaultValue 1 s, ×2, capped at 30 s, full jitter
   */
  backoff?: BackoffPolicy;
}

const STILL_RUNNING: ReadonlySet<string | undefined> = new Set(['queued', 'in_progress', 'requires_action']);

/**
 * Shared request rule: cancels a job and finds out where it went.
 * - 200: resolves with the answer (`cancelling` or `cancelled`).
 * - 429: not processed; sent again after the hint or the backoff.
 * - 5xx or a dropped connection: the cancel may have landed; the job is read (with {@link retryRead}): cancelling or
 *   ended ⇒ resolves with that; still running ⇒ the cancel is sent again.
 * - 400 (the job can no longer be cancelled: it ended, or is cancelling): resolves with a read of the job.
 * Rejects with `RetriesExhaustedError` after `maxAttempts` cancels, `AbortedError` when `deps.signal` aborts, and
 * the typed errors of 401/403/404.
 * @example const seen = await cancelJob(deps); // seen.status: 'cancelling', 'cancelled', or how it ended
 */
export async function cancelJob(deps: RequestDeps, options: CancelJobOptions = {}): Promise<StatusEvent> {
  const { adapter, client, job } = deps;
  const what = `cancelling ${adapter.describe(job)}`;
  const maxAttempts = options.maxAttempts ?? 4;
  const backoff = options.backoff ?? DEFAULT_RETRY_BACKOFF;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(deps, (o) => adapter.cancel(client, job, o));
    } catch (e) {
      if (deps.signal.aborted) throw abortedError(deps, what);
      const failure = classifyRequestError(e, job, what);
      if (!failure.transient) {
        if (failure.error.status === 400) return retryRead(deps);
        throw failure.error;
      }
      if (attempt >= maxAttempts) {
        throw exhaustedError(deps, what, attempt, failure, 'whether the job was cancelled is unknown');
      }
      await sleep(deps, retryDelay(deps, backoff, attempt, failure), what);
      if (failure.status !== 429) {
        const seen = await retryRead(deps);
        if (!STILL_RUNNING.has(seen.state)) return seen;
      }
    }
  }
}
