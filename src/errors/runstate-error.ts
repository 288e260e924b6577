import type { JobRef } from '../model/types.js';

/** Stable machine-readable error codes. */
export type RunstateErrorCode =
  | 'authentication'
  | 'permission_denied'
  | 'not_found'
  | 'retries_exhausted'
  | 'bad_configuration'
  | 'bad_request'
  | 'run_not_completed'
  | 'tool_handler_failed'
  | 'webhook_verification_failed'
  | 'aborted'
  | 'queue_unavailable'
  | 'watch_not_found'
  | 'bad_watch_data'
  | 'malformed_result_line'
  | 'batch_not_ended'
  | 'job_not_ended'
  | 'follow_failed';

const BRAND = Symbol.for('runstate.error');

/** Options every runstate error accepts. */
export interface RunstateErrorOptions {
  job?: JobRef;
  /** HTTP status of the response behind the error, when there was one. */
  status?: number;
  cause?: unknown;
}

/** Base class of every error runstate throws: a stable `code` plus the context needed to act on it. */
export class RunstateError extends Error {
  override readonly name: string = 'RunstateError';
  readonly code: RunstateErrorCode;
  readonly job: JobRef | undefined;
  readonly status: number | undefined;

  constructor(code: RunstateErrorCode, message: string, options: RunstateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.job = options.job;
    this.status = options.status;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * True for any runstate error, also across realms and duplicated package copies where `instanceof` fails.
 * @example if (isRunstateError(e) && e.code === 'not_found') { ... }
 */
export function isRunstateError(e: unknown): e is RunstateError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}
