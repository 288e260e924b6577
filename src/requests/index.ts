/**
 * The shared request rules: how runstate reads, submits and cancels safely under 429s, 5xx and dropped
 * connections. Independent of XState and of the watch: `watchRun`'s actors and the durable queue's worker both
 * call them with a {@link RequestDeps}.
 */
export { type CancelJobOptions, cancelJob } from './cancel-job.js';
export { type ConfirmExpiryOptions, confirmExpiry, EXPIRY_GRACE_MS } from './confirm-expiry.js';
export { type AdapterCall, type RequestDeps, send, sleep } from './request-deps.js';
export { type RetryReadOptions, retryRead, type TransientFailure } from './retry-read.js';
export {
  classifySubmissionError,
  isWaitingFor,
  type SubmissionFailure,
  type SubmissionResult,
  type SubmitOutputsOptions,
  submitOutputs,
} from './submit-outputs.js';
