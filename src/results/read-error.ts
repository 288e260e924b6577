import { classifyRequestError } from '../errors/from-api-error.js';
import { RetriesExhaustedError } from '../errors/retries-exhausted-error.js';
import type { RunstateError } from '../errors/runstate-error.js';
import type { JobRef } from '../model/types.js';

/**
 * The typed error for a read of a job's results that failed: the API's own (401, 404, ...), or, for a failure
 * the SDK retried `maxRetries` times, `RetriesExhaustedError`.
 */
export function readError(e: unknown, job: JobRef, what: string, maxRetries: number): RunstateError {
  const failure = classifyRequestError(e, job, what);
  if (!failure.transient) return failure.error;
  const last = failure.status === undefined ? 'a network error' : `HTTP ${failure.status}`;
  return new RetriesExhaustedError(
    `reading ${what}: ${maxRetries + 1} attempts failed (last: ${last}); raise maxRetries`,
    maxRetries + 1,
    { job, status: failure.status, cause: failure.cause },
  );
}
