import { ConfigurationError } from '../errors/configuration-error.js';
import { WebhookVerificationError } from '../errors/webhook-verification-error.js';
import { recordWebhookDelivery } from '../telemetry/process-metrics.js';
import type { WebhookEvent } from './event.js';
import type { IdempotencyStore } from './idempotency.js';
import type { WebhookCounters, WebhookRefusal } from './stats.js';
import type { WebhookVerifier } from './verify.js';

/** One HTTP request, as any transport (Web `Request`, `node:http`) presents it to {@link createReceiver}. */
export interface IncomingDelivery {
  method: string;
  headers: Headers;
  /**
   * Reads the raw body as text, stopping as soon as it exceeds `maxBytes` (then resolves `undefined`). Rejects
   * with a `ConfigurationError` when the body was already consumed by someone else (a JSON body parser).
   */
  readBody(maxBytes: number): Promise<string | undefined>;
}

/** What to answer, and the event to deliver once the answer is on its way. */
export interface Receipt {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Present only for a verified, first-seen delivery. */
  event?: WebhookEvent;
}

/** Dependencies of {@link createReceiver}. */
export interface ReceiverOptions {
  verify: WebhookVerifier;
  store: IdempotencyStore;
  maxBodyBytes: number;
  counters: WebhookCounters;
  /**
   * The verifier's tolerance, in ms: how long a delivery's exact bytes stay replayable.
   *
   * @defaultValue `300_000`
   */
  toleranceMs?: number;
  /**
   * The hub's clock, epoch ms.
   *
   * @defaultValue `Date.now`
   */
  now?: () => number;
  /**
   * The job an event is about and its rank among that job's events, for `store.rememberEvent`; undefined (or no
   * `rank`) keeps no event.
   */
  rank?: (event: WebhookEvent) => { jobId: string; precedence: number } | undefined;
  onRejected?: ((error: WebhookVerificationError) => void) | undefined;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * The transport-neutral endpoint: method, size, verification, then idempotency. The `webhook-id` is claimed only
 * after verification succeeded, so unsigned requests cannot burn ids of real deliveries.
 */
export function createReceiver(options: ReceiverOptions): (delivery: IncomingDelivery) => Promise<Receipt> {
  const { counters } = options;
  const toleranceMs = options.toleranceMs ?? 300_000;
  const now = options.now ?? Date.now;

  function refuse(reason: WebhookRefusal, status: number, message: string, headers = {}): Receipt {
    counters.refused[reason]++;
    recordWebhookDelivery(reason);
    return {
      status,
      headers: { ...JSON_HEADERS, ...headers },
      body: JSON.stringify({ error: reason, message }),
    };
  }

  return async (delivery) => {
    counters.requests++;
    if (delivery.method !== 'POST') {
      return refuse('method_not_allowed', 405, 'webhooks are delivered with POST', { allow: 'POST' });
    }
    const tooLarge = () =>
      refuse('too_large', 413, `webhook body is larger than ${options.maxBodyBytes} bytes`);
    const declared = Number(delivery.headers.get('content-length') ?? Number.NaN);
    if (declared > options.maxBodyBytes) return tooLarge();

    let body: string | undefined;
    try {
      body = await delivery.readBody(options.maxBodyBytes);
    } catch (e) {
      if (e instanceof ConfigurationError) return refuse('misconfigured', 500, e.message);
      return refuse('invalid_payload', 400, 'webhook body could not be read');
    }
    if (body === undefined) return tooLarge();

    let event: WebhookEvent;
    try {
      event = await options.verify(body, delivery.headers);
    } catch (e) {
      if (!(e instanceof WebhookVerificationError)) {
        return refuse('misconfigured', 500, 'webhook verification is unavailable on this runtime');
      }
      if (e.reason !== 'invalid_payload') counters.verificationFailures++;
      options.onRejected?.(e);
      return refuse(e.reason, e.status ?? 400, e.message);
    }

    // Verified, so the timestamp is a number within the tolerance of now.
    const signedAt = Number(delivery.headers.get('webhook-timestamp')) * 1000;
    let first: boolean | 'unprovable' = true;
    try {
      first = await options.store.claim(event.webhookId, {
        signedAt,
        replayableUntil: signedAt + toleranceMs,
        receivedAt: now(),
      });
    } catch {
      // Fail open: a duplicate delivery is harmless to a watch (stale and repeated events are dropped), a lost one
      // is not. OpenAI would retry a 5xx, but only after seconds to hours.
      counters.storeErrors++;
    }
    if (first === 'unprovable') {
      const refusal = new WebhookVerificationError(
        'replay_unprovable',
        `webhook ${event.webhookId} was signed at or before a delivery this endpoint had to forget inside the replay window (its memory bound was reached): refused rather than risk delivering it twice; a genuine retry is signed anew and accepted`,
        { webhookId: event.webhookId },
      );
      options.onRejected?.(refusal);
      return refuse('replay_unprovable', refusal.status ?? 409, refusal.message);
    }
    if (!first) {
      counters.duplicates++;
      recordWebhookDelivery('duplicate');
      return { status: 200, headers: JSON_HEADERS, body: '{"ok":true,"duplicate":true}' };
    }
    // Kept before the 2xx: once OpenAI stops retrying, the event is in the store for a watch on any instance that
    // starts later, even if this one dies now.
    const ranked = options.rank?.(event);
    if (ranked && options.store.rememberEvent) {
      try {
        await options.store.rememberEvent(ranked.jobId, event, ranked.precedence);
      } catch {
        counters.storeErrors++;
      }
    }
    counters.accepted++;
    recordWebhookDelivery('accepted');
    return { status: 200, headers: JSON_HEADERS, body: '{"ok":true}', event };
  };
}
