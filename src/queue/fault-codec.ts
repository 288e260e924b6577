import { AuthenticationError } from '../errors/authentication-error.js';
import { BadRequestError } from '../errors/bad-request-error.js';
import { ConfigurationError } from '../errors/configuration-error.js';
import { NotFoundError } from '../errors/not-found-error.js';
import { RetriesExhaustedError } from '../errors/retries-exhausted-error.js';
import { isRunstateError, RunstateError, type RunstateErrorCode } from '../errors/runstate-error.js';
import { ToolHandlerError } from '../errors/tool-handler-error.js';
import { WatchDataError } from '../errors/watch-data-error.js';
import type { JobRef } from '../model/types.js';

/**
 * A watch's fault as BullMQ's `failedReason`: `<code>: <message>`, readable in any dashboard, and turned back
 * into the same typed error by {@link decodeFault} in whichever process observes the watch.
 */
export function encodeFault(error: unknown): string {
  if (isRunstateError(error)) return `${error.code}: ${error.message}`;
  return `internal: ${error instanceof Error ? error.message : String(error)}`;
}

/** The typed error behind a `failedReason` written by {@link encodeFault} (or by BullMQ itself). */
export function decodeFault(reason: string | undefined, job: JobRef | undefined): RunstateError {
  const text = reason ?? 'the watch failed without a reason';
  const match = /^([a-z_]+): ([\s\S]*)$/.exec(text);
  const code = match?.[1] as RunstateErrorCode | 'internal' | undefined;
  const message = match?.[2] ?? text;
  const options = job ? { job } : {};
  switch (code) {
    case 'authentication':
    case 'permission_denied':
      return new AuthenticationError(message, options);
    case 'not_found':
      return new NotFoundError(message, options);
    case 'bad_request':
      return new BadRequestError(message, options);
    case 'bad_configuration':
      return new ConfigurationError(message, options);
    case 'bad_watch_data':
      return new WatchDataError(message, options);
    case 'tool_handler_failed':
      return new ToolHandlerError(message, '', '', options);
    case undefined:
    case 'internal':
      return new RetriesExhaustedError(`the watch's worker failed: ${message}`, 1, options);
    default:
      return new RunstateError(code, message, options);
  }
}
