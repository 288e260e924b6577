import { APIError } from 'openai';
import type { JobRef } from '../model/types.js';
import { AuthenticationError } from './authentication-error.js';
import { BadRequestError } from './bad-request-error.js';
import { NotFoundError } from './not-found-error.js';
import type { RunstateError } from './runstate-error.js';

/** How a failed request should be treated: retried later (with the response headers, for hints), or final. */
export type RequestFailure =
  | { transient: true; status: number | undefined; headers: Headers | undefined; cause: unknown }
  | { transient: false; error: RunstateError };

/**
 * Sorts an error thrown by an SDK call: 408/409/429/5xx and connection failures are transient; 401/403/404 and
 * other 4xx are final, as typed runstate errors that name the job.
 */
export function classifyRequestError(e: unknown, job: JobRef, what: string): RequestFailure {
  const status = e instanceof APIError ? e.status : undefined;
  const headers = e instanceof APIError ? e.headers : undefined;
  if (status === undefined || status === 408 || status === 409 || status === 429 || status >= 500) {
    return { transient: true, status, headers, cause: e };
  }
  const apiMessage = e instanceof Error ? e.message : String(e);
  const options = { job, status, cause: e };
  if (status === 401 || status === 403) {
    return {
      transient: false,
      error: new AuthenticationError(
        `${what}: the API refused the credentials (${status}): check the client's apiKey, organization and project`,
        options,
      ),
    };
  }
  if (status === 404) {
    return {
      transient: false,
      error: new NotFoundError(
        `${what} not found (404): check the ids, or whether the job belongs to another project`,
        options,
      ),
    };
  }
  return {
    transient: false,
    error: new BadRequestError(`${what} was rejected (${status}): ${apiMessage}`, options),
  };
}

/**
 * A 429 that paces the caller (`rate_limit_exceeded`): the key is used too fast, nothing is wrong with the job. An
 * `insufficient_quota` 429 is not a pace: the account is out of credit, and waiting alone does not end it.
 */
export function isPacing429(failure: Extract<RequestFailure, { transient: true }>): boolean {
  if (failure.status !== 429) return false;
  const code = failure.cause instanceof APIError ? failure.cause.code : undefined;
  return code !== 'insufficient_quota';
}
