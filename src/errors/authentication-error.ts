import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** The API refused the credentials (401) or the project lacks access (403). Retrying will not help. */
export class AuthenticationError extends RunstateError {
  override readonly name = 'AuthenticationError';
  constructor(message: string, options: RunstateErrorOptions = {}) {
    super(options.status === 403 ? 'permission_denied' : 'authentication', message, options);
  }
}
