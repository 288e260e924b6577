import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** Why a webhook request was refused before any subscriber saw it. */
export type WebhookRejectionReason =
  /** `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent (400). */
  | 'missing_headers'
  /** No configured secret produced the signature (401). */
  | 'bad_signature'
  /** `webhook-timestamp` is outside the tolerance, or not a number (401). */
  | 'stale_timestamp'
  /** Correctly signed, but the body is not JSON or not an event `{ id, type, created_at, data }` (400). */
  | 'invalid_payload'
  /**
   * Correctly signed, but signed no later than an id the endpoint had to forget inside its replay window (memory
   * bound reached): it may be a replay, so it is refused rather than delivered twice (409). A genuine retry is
   * signed anew and passes.
   */
  | 'replay_unprovable';

const STATUS: Record<WebhookRejectionReason, number> = {
  missing_headers: 400,
  invalid_payload: 400,
  bad_signature: 401,
  stale_timestamp: 401,
  replay_unprovable: 409,
};

/**
 * A webhook delivery failed verification. The message names the reason and never the secret or the body.
 * @example if (isRunstateError(e) && e.code === 'webhook_verification_failed') log(e.reason, e.webhookId)
 */
export class WebhookVerificationError extends RunstateError {
  override readonly name = 'WebhookVerificationError';
  readonly reason: WebhookRejectionReason;
  /** The `webhook-id` header as sent (unverified), for correlating with OpenAI's delivery log. */
  readonly webhookId: string | undefined;
  constructor(
    reason: WebhookRejectionReason,
    message: string,
    options: RunstateErrorOptions & { webhookId?: string | undefined } = {},
  ) {
    super('webhook_verification_failed', message, {
      ...options,
      status: options.status ?? STATUS[reason],
    });
    this.reason = reason;
    this.webhookId = options.webhookId;
  }
}
