import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** A durable watch's stored data is not what runstate wrote (edited by hand, another version, corrupted). */
export class WatchDataError extends RunstateError {
  override readonly name = 'WatchDataError';
  constructor(message: string, options: RunstateErrorOptions = {}) {
    super('bad_watch_data', message, options);
  }
}
