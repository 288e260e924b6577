import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** The queue's Redis cannot be reached (wrong host or port, down, refusing connections): nothing was queued. */
export class QueueUnavailableError extends RunstateError {
  override readonly name = 'QueueUnavailableError';
  constructor(message: string, options: RunstateErrorOptions = {}) {
    super('queue_unavailable', message, options);
  }
}
