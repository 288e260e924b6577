import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** The API rejected a request runstate made (400/409/422), for instance tool outputs sent to an expired run. */
export class BadRequestError extends RunstateError {
  override readonly name = 'BadRequestError';
  constructor(message: string, options: RunstateErrorOptions = {}) {
    super('bad_request', message, options);
  }
}
