import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/**
 * A job's results were asked for before it had them: a fine-tune that has not succeeded has no model, no result
 * files and not all its checkpoints.
 */
export class JobNotEndedError extends RunstateError {
  override readonly name = 'JobNotEndedError';
  constructor(
    message: string,
    /** The job's status when it was read. */
    readonly jobStatus: string,
    options: RunstateErrorOptions = {},
  ) {
    super('job_not_ended', message, options);
  }
}
