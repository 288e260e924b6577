export { AbortedError } from './aborted-error.js';
export { AuthenticationError } from './authentication-error.js';
export { BadRequestError } from './bad-request-error.js';
export { BatchNotEndedError } from './batch-not-ended-error.js';
export { ConfigurationError } from './configuration-error.js';
export { FollowError } from './follow-error.js';
export { classifyRequestError, type RequestFailure } from './from-api-error.js';
export { JobNotEndedError } from './job-not-ended-error.js';
export { MalformedResultLineError } from './malformed-result-line-error.js';
export { NotFoundError } from './not-found-error.js';
export { QueueUnavailableError } from './queue-unavailable-error.js';
export { RetriesExhaustedError } from './retries-exhausted-error.js';
export { RunNotCompletedError } from './run-not-completed-error.js';
export {
  isRunstateError,
  RunstateError,
  type RunstateErrorCode,
  type RunstateErrorOptions,
} from './runstate-error.js';
export { ToolHandlerError } from './tool-handler-error.js';
export { WatchDataError } from './watch-data-error.js';
export { WatchNotFoundError } from './watch-not-found-error.js';
export { type WebhookRejectionReason, WebhookVerificationError } from './webhook-verification-error.js';
