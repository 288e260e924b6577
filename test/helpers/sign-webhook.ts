import { createHmac, randomBytes } from 'node:crypto';

/** A fresh Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function makeWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Options of {@link signWebhook}. */
export interface SignOptions {
  /** One secret, or several to sign with each (as a sender rotating keys does). */
  secret: string | readonly string[];
  body: string;
  /** `webhook-id`; default a random `wh_…`. */
  id?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
}

/**
 * Standard Webhooks signing (tests only; the library verifies through the SDK): HMAC-SHA256 over
 * `id.timestamp.body`, with the base64-decoded `whsec_` secret as key, sent as `v1,<base64>`.
 */
export function signWebhook(options: SignOptions): Record<string, string> {
  const id = options.id ?? `wh_${randomBytes(12).toString('hex')}`;
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  const signatures = secrets.map((secret) => {
    const key = secret.startsWith('whsec_')
      ? Buffer.from(secret.slice('whsec_'.length), 'base64')
      : Buffer.from(secret, 'utf8');
    const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${options.body}`).digest('base64');
    return `v1,${mac}`;
  });
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signatures.join(' '),
  };
}

/** An OpenAI-shaped event body: `{ id, object: 'event', type, created_at, data: { id } }`. */
export function webhookEventBody(
  type: string,
  jobId: string,
  createdAt = Math.floor(Date.now() / 1000),
): string {
  return JSON.stringify({
    id: `evt_${randomBytes(8).toString('hex')}`,
    object: 'event',
    type,
    created_at: createdAt,
    data: { id: jobId },
  });
}
