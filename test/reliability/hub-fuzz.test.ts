// Property-based fuzz of the webhook hub: hostile requests interleaved with valid deliveries, sent at once.
// Whatever the mix: no hostile request reaches a subscriber, each valid delivery reaches them exactly once, every
// answer is a deliberate status (never a 5xx, never a rejected promise).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWebhookHub, memoryIdempotencyStore } from '../../src/index.js';
import { makeWebhookSecret, signWebhook, webhookEventBody } from '../helpers/sign-webhook.js';
import { settle } from '../helpers/webhook-server.js';

const MAX_BODY = 4096;

/** One request: how to build it once the secret and a fresh counter are known. */
type Kind =
  | 'valid'
  | 'replay'
  | 'wrong_method'
  | 'missing_header'
  | 'other_secret'
  | 'tampered_body'
  | 'stale'
  | 'future'
  | 'not_json'
  | 'not_an_event'
  | 'oversized'
  | 'garbage_signature'
  | 'stolen_id';

const HOSTILE: readonly Kind[] = [
  'replay',
  'wrong_method',
  'missing_header',
  'other_secret',
  'tampered_body',
  'stale',
  'future',
  'not_json',
  'not_an_event',
  'oversized',
  'garbage_signature',
  'stolen_id',
];

interface Built {
  kind: Kind;
  method: string;
  body: string;
  headers: Record<string, string>;
}

const now = () => Math.floor(Date.now() / 1000);

/** Builds the requests of one sequence; hostile ones aim at the valid ones built before them. */
function build(kinds: readonly Kind[], secret: string, junk: readonly string[]): Built[] {
  const other = makeWebhookSecret();
  const valid: Built[] = [];
  const one = (kind: Kind, i: number): Built => {
    const hostileBody = webhookEventBody('response.completed', `resp_hostile_${i}`);
    const noise = junk[i % junk.length] ?? '';
    const target = valid.at(-1 - (i % Math.max(1, valid.length)));
    switch (kind) {
      case 'valid': {
        const body = webhookEventBody('response.completed', `resp_valid_${i}`);
        const built = {
          kind,
          method: 'POST',
          body,
          headers: signWebhook({ secret, body, id: `wh_valid_${i}` }),
        };
        valid.push(built);
        return built;
      }
      case 'replay':
        return target ? { ...target, kind } : { kind, method: 'POST', body: hostileBody, headers: {} };
      case 'wrong_method':
        return {
          kind,
          method: 'PUT',
          body: hostileBody,
          headers: signWebhook({ secret, body: hostileBody }),
        };
      case 'missing_header': {
        const headers = signWebhook({ secret, body: hostileBody });
        delete headers[['webhook-id', 'webhook-timestamp', 'webhook-signature'][i % 3]!];
        return { kind, method: 'POST', body: hostileBody, headers };
      }
      case 'other_secret':
        return {
          kind,
          method: 'POST',
          body: hostileBody,
          headers: signWebhook({ secret: other, body: hostileBody }),
        };
      case 'tampered_body': {
        const base = target ?? { body: hostileBody, headers: signWebhook({ secret, body: hostileBody }) };
        const body = base.body.replace('resp_valid', 'resp_hostile').replace('completed', 'failed') + noise;
        return { kind, method: 'POST', body, headers: base.headers };
      }
      case 'stale':
        return {
          kind,
          method: 'POST',
          body: hostileBody,
          headers: signWebhook({ secret, body: hostileBody, timestamp: now() - 301 - (i % 5000) }),
        };
      case 'future':
        return {
          kind,
          method: 'POST',
          body: hostileBody,
          headers: signWebhook({ secret, body: hostileBody, timestamp: now() + 301 + (i % 5000) }),
        };
      case 'not_json': {
        const body = `{"id":"evt_x","data":{"id":"resp_hostile_${i}"}${noise}`;
        return { kind, method: 'POST', body, headers: signWebhook({ secret, body }) };
      }
      case 'not_an_event': {
        const body = JSON.stringify({ data: { id: `resp_hostile_${i}` }, junk: noise });
        return { kind, method: 'POST', body, headers: signWebhook({ secret, body }) };
      }
      case 'oversized': {
        const body = JSON.stringify({
          id: 'evt_big',
          type: 'response.completed',
          created_at: now(),
          data: { id: `resp_hostile_${i}` },
          pad: 'x'.repeat(MAX_BODY),
        });
        return { kind, method: 'POST', body, headers: signWebhook({ secret, body }) };
      }
      case 'garbage_signature': {
        const headers = signWebhook({ secret, body: hostileBody });
        headers['webhook-signature'] = noise.length > 0 ? `v1,${noise} v1 ,, ${noise}` : 'v1,';
        return { kind, method: 'POST', body: hostileBody, headers };
      }
      case 'stolen_id': {
        // A real delivery's id on a body signed with another key: must not burn the id of the real one.
        const headers = signWebhook({ secret: other, body: hostileBody, id: `wh_valid_${i + 1}` });
        return { kind, method: 'POST', body: hostileBody, headers };
      }
    }
  };
  return kinds.map(one);
}

const kindArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Kind>('valid') },
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE) },
);

describe('webhook hub under hostile traffic (fast-check)', () => {
  it('delivers each valid delivery once and nothing else, answering every request deliberately', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(kindArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.string({ maxLength: 24 }), { minLength: 1, maxLength: 4 }),
        async (kinds, junk) => {
          const secret = makeWebhookSecret();
          // A small memory bound, so the replay window's refusals are exercised too.
          const hub = createWebhookHub({
            secret,
            maxBodyBytes: MAX_BODY,
            store: memoryIdempotencyStore({ maxEntries: 8 }),
          });
          const delivered = new Map<string, number>();
          hub.events$.subscribe((e) => {
            const id = String(e.data.id);
            delivered.set(id, (delivered.get(id) ?? 0) + 1);
          });
          const requests = build(kinds, secret, junk);
          const answers = await Promise.all(
            requests.map((r) =>
              hub.handler(
                new Request('http://hub.test/webhooks', {
                  method: r.method,
                  headers: r.headers,
                  ...(r.method === 'GET' ? {} : { body: r.body }),
                }),
              ),
            ),
          );
          await settle(5);

          for (const [i, answer] of answers.entries()) {
            expect(answer.status, `${requests[i]!.kind}`).toBeLessThan(500);
          }
          const validIds = requests.flatMap((r, i) => (r.kind === 'valid' ? [`resp_valid_${i}`] : []));
          for (const [id, count] of delivered) {
            expect(id.startsWith('resp_valid_'), `delivered ${id}`).toBe(true);
            expect(count, `${id} delivered ${count} times`).toBe(1);
          }
          // A valid delivery is delivered unless the memory bound made it unprovable (409): never lost silently.
          for (const id of validIds) {
            const i = Number(id.slice('resp_valid_'.length));
            if (answers[i]!.status === 200) expect(delivered.get(id), id).toBe(1);
            else expect(answers[i]!.status).toBe(409);
          }
          expect(hub.stats().accepted).toBe(delivered.size);
        },
      ),
      { numRuns: 60, seed: 9 },
    );
  });
});
