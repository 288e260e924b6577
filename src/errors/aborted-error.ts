import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** The caller's AbortSignal fired before the job ended (only `waitForRun` rejects with it). */
export class AbortedError extends RunstateError {
  override readonly name = 'AbortedError';
  constructor(message: string, options: RunstateErrorOptions = {}) {
    super('aborted', message, options);
  }
}
