import { createHmac, randomBytes } from 'node:crypto';

/**
 * A new Standard Webhooks secret: `whsec_` + base64 of 24 random bytes (the shape OpenAI and Svix hand out).
 * Pass it to `startSimulator({ webhooks: { url, secret } })` and to `client.webhooks.unwrap(body, headers, secret)`.
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The HMAC key a secret stands for: base64 after `whsec_`, else the UTF-8 bytes (as the SDK's verifier does). */
function secretKey(secret: string): Buffer {
  return secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret, 'utf8');
}

/**
 * The `webhook-signature` header value for one delivery attempt: `v1,` + base64 HMAC-SHA256 of
 * `{webhook-id}.{webhook-timestamp}.{body}` (Standard Webhooks).
 */
export function signWebhook(secret: string, webhookId: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret))
    .update(`${webhookId}.${timestampSec}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/** A well-formed signature that does not verify: the first byte of the MAC flipped. */
export function corruptSignature(signature: string): string {
  const mac = Buffer.from(signature.slice(3), 'base64');
  mac[0] = (mac[0] ?? 0) ^ 0xff;
  return `v1,${mac.toString('base64')}`;
}
