import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** Transient failures (429, 5xx, network) went on past the retry budget: the outcome is unknown. */
export class RetriesExhaustedError extends RunstateError {
  override readonly name = 'RetriesExhaustedError';
  readonly attempts: number;
  constructor(message: string, attempts: number, options: RunstateErrorOptions = {}) {
    super('retries_exhausted', message, options);
    this.attempts = attempts;
  }
}
