import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** A line of a batch's output or error file is not a result object: its file and line number say which. */
export class MalformedResultLineError extends RunstateError {
  override readonly name = 'MalformedResultLineError';
  constructor(
    message: string,
    /** The file's id (`output_file_id` or `error_file_id`). */
    readonly fileId: string,
    /** Which of the batch's files. */
    readonly file: 'output' | 'error',
    /** 1-based line number within that file. */
    readonly line: number,
    options: RunstateErrorOptions = {},
  ) {
    super('malformed_result_line', message, options);
  }
}
