import { RunstateError } from './runstate-error.js';

/**
 * `followRun` could not follow the watch: the event stream was refused (an HTTP error, a wrong URL) or the server's
 * watch failed and said why in a `fault` event (`reason` holds that error's own code, as `'not_found'`).
 */
export class FollowError extends RunstateError {
  override readonly name = 'FollowError';
  /** The code of the server-side error a `fault` event carried; undefined when the stream itself was refused. */
  readonly reason: string | undefined;

  constructor(message: string, reason?: string) {
    super('follow_failed', message);
    this.reason = reason;
  }
}
