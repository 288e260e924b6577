import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** The job does not exist (404): a wrong id, another project, or (for Assistants) the API's shutdown. */
export class NotFoundError extends RunstateError {
  override readonly name = 'NotFoundError';
  constructor(message: string, options: RunstateErrorOptions = {}) {
    super('not_found', message, options);
  }
}
