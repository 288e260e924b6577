import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookHub, watchRun } from '../src/index.js';
import { startSimulator } from '../src/sim/index.js';
import { simScheduler } from '../src/sim/time/scheduler.js';
import { makeWebhookSecret, signWebhook } from './helpers/sign-webhook.js';
import { scenarioMeta, simClient } from './helpers/sim.js';

const realEnv = process.env;
afterEach(() => {
  process.env = realEnv;
});

/** Replaces process.env with a proxy that records every key read, from now on. */
function recordEnvReads(): string[] {
  const reads: string[] = [];
  process.env = new Proxy(realEnv, {
    get(target, key, receiver) {
      if (typeof key === 'string') reads.push(key);
      return Reflect.get(target, key, receiver);
    },
  });
  return reads;
}

describe('the library reads no secrets from the environment', () => {
  it('watchRun and the webhook hub never read OPENAI_API_KEY or OPENAI_WEBHOOK_SECRET', async () => {
    const sim = await startSimulator({ clock: { speed: 50 } });
    // The user's client is built before: reading the key there is the user's choice, not the library's.
    const client = simClient(sim);
    const reads = recordEnvReads();
    try {
      const secret = makeWebhookSecret();
      const hub = createWebhookHub({ secret });
      const body = JSON.stringify({
        id: 'evt_1',
        type: 'response.completed',
        created_at: Math.floor(Date.now() / 1000),
        data: { id: 'resp_1' },
      });
      const answer = await hub.handler(
        new Request('http://localhost/webhooks', {
          method: 'POST',
          body,
          headers: signWebhook({ secret, body }),
        }),
      );
      expect(answer.status).toBe(200);

      const r = await client.responses.create({
        model: 'gpt-4o-mini',
        input: 'hi',
        background: true,
        metadata: scenarioMeta({ phases: { queued: 100, in_progress: 500 } }),
      });
      const last = await lastValueFrom(
        watchRun({ client, job: { kind: 'response', id: r.id }, scheduler: simScheduler(sim.clock) }),
      );
      expect(last.state).toBe('completed');
      expect(reads.filter((k) => k === 'OPENAI_API_KEY' || k === 'OPENAI_WEBHOOK_SECRET')).toEqual([]);
    } finally {
      process.env = realEnv;
      await sim.close();
    }
  });
});
