import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** A batch's results were asked for before it ended: its files do not exist yet. */
export class BatchNotEndedError extends RunstateError {
  override readonly name = 'BatchNotEndedError';
  constructor(
    message: string,
    /** The batch's status when it was read. */
    readonly batchStatus: string,
    options: RunstateErrorOptions = {},
  ) {
    super('batch_not_ended', message, options);
  }
}
