import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** No durable watch exists for this job in the queue: it was never watched, or its record was removed. */
export class WatchNotFoundError extends RunstateError {
  override readonly name = 'WatchNotFoundError';
  constructor(message: string, options: RunstateErrorOptions = {}) {
    super('watch_not_found', message, options);
  }
}
