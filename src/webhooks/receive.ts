import { ConfigurationError } from '../errors/configuration-error.js';
import { WebhookVerificationError } from '../errors/webhook-verification-error.js';
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
  onRejected?: ((error: WebhookVerificationError) => void) | undefined;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * The transport-neutral endpoint: method, size, verification, then idempotency. The `webhook-id` is claimed only
 * after verification succeeded, so unsigned requests cannot burn ids of real deliveries.
 */
export function createReceiver(options: ReceiverOptions): (delivery: IncomingDelivery) => Promise<Receipt> {
  const { counters } = options;

  function refuse(reason: WebhookRefusal, status: number, message: string, headers = {}): Receipt {
    counters.refused[reason]++;
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

    let first = true;
    try {
      first = await options.store.claim(event.webhookId);
    } catch {
      // Fail open: a duplicate delivery is harmless to a watch (stale and repeated events are dropped), a lost one
      // is not. OpenAI would retry a 5xx, but only after seconds to hours.
      counters.storeErrors++;
    }
    if (!first) {
      counters.duplicates++;
      return { status: 200, headers: JSON_HEADERS, body: '{"ok":true,"duplicate":true}' };
    }
    counters.accepted++;
    return { status: 200, headers: JSON_HEADERS, body: '{"ok":true}', event };
  };
}
