import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogger } from '../../src/cli/worker/json-logger.js';
import { createWebhookHub } from '../../src/webhooks/hub.js';
import { registerTestOtel, type TestOtel } from '../helpers/otel.js';
import { makeWebhookSecret, signWebhook, webhookEventBody } from '../helpers/sign-webhook.js';

const secret = makeWebhookSecret();
let otel: TestOtel;
beforeAll(() => {
  otel = registerTestOtel();
});
afterAll(() => otel.shutdown());

describe('runstate.webhook.deliveries', () => {
  it('counts each delivery by result: accepted, duplicate, or the refusal reason', async () => {
    const hub = createWebhookHub({ secret });
    const body = webhookEventBody('response.completed', 'resp_1');
    const headers = signWebhook({ secret, body });
    const post = (h: Record<string, string>) =>
      hub.handler(new Request('https://example.test/webhooks', { method: 'POST', body, headers: h }));
    expect((await post(headers)).status).toBe(200);
    expect((await post(headers)).status).toBe(200);
    expect((await post({ ...headers, 'webhook-signature': 'v1,AAAA' })).status).toBe(401);
    const points = await otel.points('runstate.webhook.deliveries');
    const by = Object.fromEntries(points.map((p) => [p.attributes.result, p.value]));
    expect(by.accepted).toBe(1);
    expect(by.duplicate).toBe(1);
    expect(Object.keys(by).filter((k) => k !== 'accepted' && k !== 'duplicate')).toHaveLength(1);
  });
});

describe('jsonLogger (runstate worker --log json)', () => {
  it('writes one JSON object per line: time, level, the fields, the message', () => {
    const lines: string[] = [];
    const log = jsonLogger(
      (l) => lines.push(l),
      () => 0,
    );
    log.warn({ event: 'rate_limited', kind: 'k', job: 'resp_1' }, 'paused');
    log.error({ event: 'watch_failed' });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        time: '1970-01-01T00:00:00.000Z',
        level: 'warn',
        event: 'rate_limited',
        kind: 'k',
        job: 'resp_1',
        msg: 'paused',
      },
      { time: '1970-01-01T00:00:00.000Z', level: 'error', event: 'watch_failed' },
    ]);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
  });
});
