// Property-based fuzz of the webhook hub: hostile requests interleaved with valid deliveries, sent at once.
// Whatever the mix: no hostile request reaches a subscriber, each valid delivery reaches them exactly once, every
// answer is a deliberate status (never a 5xx, never a rejected promise).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWebhookHub, memoryIdempotencyStore } from '../../src/webhooks/index.js';
import { makeWebhookSecret } from '../helpers/sign-webhook.js';
import { settle } from '../helpers/webhook-server.js';
import { build, HOSTILE, type Kind, MAX_BODY } from './hostile-requests.js';

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
