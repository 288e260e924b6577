import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** The options passed to runstate cannot work (a missing client, a negative delay, an unknown job kind). */
export class ConfigurationError extends RunstateError {
  override readonly name = 'ConfigurationError';
  constructor(message: string, options: RunstateErrorOptions = {}) {
    super('bad_configuration', message, options);
  }
}
