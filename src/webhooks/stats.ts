import type { WebhookRejectionReason } from '../errors/webhook-verification-error.js';

/** Why a request was answered with an error status. */
export type WebhookRefusal = WebhookRejectionReason | 'method_not_allowed' | 'too_large' | 'misconfigured';

/** Counters of a webhook hub since it was created (`hub.stats()`). */
export interface WebhookHubStats {
  /** Every request the endpoint answered. */
  requests: number;
  /** Verified, first-seen deliveries: emitted on `events$` (2xx). */
  accepted: number;
  /** Verified deliveries of an already accepted `webhook-id`: answered 2xx, not delivered again. */
  duplicates: number;
  /**
   * Accepted events that no job kind recognises (`fine_tuning.job.*`, `eval.run.*`, `safety.*`, `live.*`,
   * `agent.environment.*`, types newer than this library): answered 2xx and on `events$`, not routed.
   */
  ignored: number;
  /** Deliveries refused by verification: missing headers, bad signature or stale timestamp. */
  verificationFailures: number;
  /** Refused requests by reason. */
  refused: Record<WebhookRefusal, number>;
  /** Idempotency store failures; the event was delivered anyway (a duplicate is harmless, a lost event is not). */
  storeErrors: number;
  /** Events currently held for watches that may start later. */
  buffered: number;
  /** Job ids with at least one watch subscribed. */
  watching: number;
}

/** The hub's mutable counters; `buffered` and `watching` are read live from the router. */
export type WebhookCounters = Omit<WebhookHubStats, 'buffered' | 'watching' | 'refused'> & {
  refused: Record<WebhookRefusal, number>;
};

/** Fresh zeroed counters. */
export function createWebhookCounters(): WebhookCounters {
  return {
    requests: 0,
    accepted: 0,
    duplicates: 0,
    ignored: 0,
    verificationFailures: 0,
    refused: {
      method_not_allowed: 0,
      too_large: 0,
      missing_headers: 0,
      bad_signature: 0,
      stale_timestamp: 0,
      invalid_payload: 0,
      replay_unprovable: 0,
      misconfigured: 0,
    },
    storeErrors: 0,
  };
}
