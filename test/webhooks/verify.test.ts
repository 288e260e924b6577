import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../src/errors/configuration-error.js';
import { isRunstateError } from '../../src/errors/runstate-error.js';
import { WebhookVerificationError } from '../../src/errors/webhook-verification-error.js';
import { createWebhookHub } from '../../src/webhooks/hub.js';
import { createWebhookVerifier } from '../../src/webhooks/verify.js';
import { makeWebhookSecret, signWebhook, webhookEventBody } from '../helpers/sign-webhook.js';

const secret = makeWebhookSecret();

afterEach(() => {
  vi.unstubAllEnvs();
});

async function rejection(promise: Promise<unknown>): Promise<WebhookVerificationError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof WebhookVerificationError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('createWebhookVerifier', () => {
  it('returns the event with its webhook-id', async () => {
    const verify = createWebhookVerifier({ secrets: [secret] });
    const body = webhookEventBody('batch.failed', 'batch_1', 1_700_000_000);
    const headers = new Headers(signWebhook({ secret, body, id: 'wh_1' }));
    await expect(verify(body, headers)).resolves.toMatchObject({
      type: 'batch.failed',
      created_at: 1_700_000_000,
      data: { id: 'batch_1' },
      object: 'event',
      webhookId: 'wh_1',
    });
  });

  it('rejects with typed errors that carry a reason and status but not the secret', async () => {
    const verify = createWebhookVerifier({ secrets: [secret] });
    const body = webhookEventBody('batch.failed', 'batch_1');
    const bad = await rejection(
      verify(body, new Headers(signWebhook({ secret: makeWebhookSecret(), body, id: 'wh_x' }))),
    );
    expect(isRunstateError(bad)).toBe(true);
    expect(bad).toMatchObject({
      name: 'WebhookVerificationError',
      code: 'webhook_verification_failed',
      reason: 'bad_signature',
      status: 401,
      webhookId: 'wh_x',
    });
    expect(`${bad.message} ${String(bad.cause)}`).not.toContain(secret.slice(6));
    const stale = await rejection(verify(body, new Headers(signWebhook({ secret, body, timestamp: 1 }))));
    expect(stale).toMatchObject({ reason: 'stale_timestamp', status: 401 });
    const missing = await rejection(verify(body, new Headers()));
    expect(missing).toMatchObject({ reason: 'missing_headers', status: 400 });
    expect(missing.message).toContain('webhook-id, webhook-timestamp, webhook-signature');
  });

  it('uses the given client, and otherwise never reads the environment', async () => {
    vi.stubEnv('OPENAI_API_KEY', '');
    vi.stubEnv('OPENAI_WEBHOOK_SECRET', makeWebhookSecret());
    vi.stubEnv('OPENAI_BASE_URL', 'http://should-not-be-used.invalid');
    const body = webhookEventBody('response.completed', 'resp_1');
    const headers = new Headers(signWebhook({ secret, body }));
    await expect(createWebhookVerifier({ secrets: [secret] })(body, headers)).resolves.toBeDefined();
    const client = new OpenAI({ apiKey: 'x' });
    const unwrap = vi.spyOn(client.webhooks, 'unwrap');
    await expect(createWebhookVerifier({ secrets: [secret], client })(body, headers)).resolves.toBeDefined();
    expect(unwrap).toHaveBeenCalledWith(body, headers, secret, 300);
  });

  it('refuses unusable secrets up front, naming their position only', () => {
    expect(() => createWebhookHub({})).toThrow(/needs a secret/);
    expect(() => createWebhookHub({ secrets: [] })).toThrow(/needs a secret/);
    expect(() => createWebhookHub({ secret, secrets: [secret] })).toThrow(/not both/);
    expect(() => createWebhookHub({ secrets: [secret, ''] })).toThrow(/#2 is empty/);
    expect(() => createWebhookHub({ secret: 'whsec_not base64!' })).toThrow(/#1 .* not valid base64/);
    try {
      createWebhookHub({ secret: 'whsec_not base64!' });
    } catch (e) {
      expect((e as Error).message).not.toContain('not base64!');
      expect(isRunstateError(e) && e.code).toBe('bad_configuration');
    }
    expect(() => createWebhookHub({ secret, tolerance: 0 })).toThrow(/tolerance/);
    expect(() => createWebhookHub({ secret, maxBodyBytes: -1 })).toThrow(/maxBodyBytes/);
  });

  it('refuses a secret without the whsec_ prefix at construction, which would reject every delivery', () => {
    for (const make of [
      () => createWebhookHub({ secret: 'plain-secret' }),
      () => createWebhookHub({ secrets: [secret, 'c2VjcmV0'] }),
      () => createWebhookVerifier({ secrets: ['plain-secret'] }),
    ]) {
      let error: unknown;
      try {
        make();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(isRunstateError(error) && error.code).toBe('bad_configuration');
      expect((error as Error).message).toMatch(/secret #\d does not start with whsec_/);
      expect((error as Error).message).not.toContain('plain-secret');
    }
  });
});
