import type OpenAI from 'openai';
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPollBudget, createWebhookHub, hybrid, watchRun, webhookSource } from '../../src/index.js';
import { type Simulator, simScheduler, startSimulator } from '../../src/sim/index.js';
import { makeWebhookSecret } from '../helpers/sign-webhook.js';
import { simClient } from '../helpers/sim.js';
import { listenHub } from '../helpers/webhook-server.js';

// Issue 21 part 2: the read a webhook-fed watch makes at start spends a token of the watch's budget, so watches
// starting together read at the budget's pace rather than all at once. The simulator and the budget share one clock
// (25× real time); the simulator delivers signed webhooks to the hub on a real socket.
const SPEED = 25;

let sim: Simulator | undefined;
let closeHub: (() => Promise<void>) | undefined;
afterEach(async () => {
  await sim?.close();
  await closeHub?.();
  sim = undefined;
  closeHub = undefined;
});

async function start(n: number, inProgress: [number, number]) {
  const secret = makeWebhookSecret();
  const hub = createWebhookHub({ secret });
  const server = await listenHub(hub);
  closeHub = server.close;
  sim = await startSimulator({
    clock: { speed: SPEED },
    seed: 21,
    scenario: { phases: { queued: [200, 1000], in_progress: inProgress } },
    webhooks: { url: server.url, secret },
  });
  const client: OpenAI = simClient(sim);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await client.responses.create({ model: 'gpt-4o-mini', input: `job ${i}`, background: true });
    ids.push(r.id);
  }
  return { sim, hub, client, ids, scheduler: simScheduler(sim.clock) };
}

const retrieves = (s: Simulator, ids: readonly string[]) =>
  ids.reduce((sum, id) => sum + (s.job(id)?.retrieves ?? 0), 0);

describe('the read at start of a webhook-fed watch, through its budget', () => {
  it('12 watches starting together read at the budget pace (burst 2, 60 rpm), and every one ends right', async () => {
    // Jobs longer than the reads take: every watch reads before its job ends.
    const { sim: s, hub, client, ids, scheduler } = await start(12, [15_000, 30_000]);
    const budget = createPollBudget({ rpm: 60, burst: 2, scheduler });
    const t0 = s.clock.now();
    // Tokens the budget can have handed out by `at`: the burst, then one a second of the shared clock.
    const allowed = (at: number) => 2 + Math.floor((at - t0) / 1000);
    let over = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      samples++;
      if (retrieves(s, ids) > allowed(s.clock.now())) over++;
    }, 5);
    const lasts = await Promise.all(
      ids.map((id) =>
        lastValueFrom(
          watchRun({
            client,
            job: { kind: 'response', id },
            // 'never': no retrieve after an event, so every retrieve the simulator sees is a read at start.
            source: webhookSource(hub, { budget, fetch: 'never' }),
            scheduler,
            maxWaitMs: 60 * 60_000,
          }),
        ),
      ),
    ).finally(() => clearInterval(sampler));

    expect(samples).toBeGreaterThan(0);
    expect(over).toBe(0);
    for (const last of lasts) {
      expect(last.done).toBe(true);
      expect(last.state).toBe('completed');
      expect(last.calls).toBe(s.job(last.id)!.retrieves);
    }
    // Every read at start went through the budget, one token each.
    expect(budget.stats().requests).toBe(12);
    expect(retrieves(s, ids)).toBe(12);
    // Twelve reads at 1/s after a burst of 2 take about 10 s of the shared clock.
    expect(s.clock.now() - t0).toBeGreaterThanOrEqual(9000);
  });

  it("hybrid(hub, budget.poll()) reads at start through the fallback's budget", async () => {
    // Jobs that outlast the test, even when a loaded machine stretches it: no watch ends and leaves the queue.
    const { sim: s, hub, client, ids, scheduler } = await start(5, [3_600_000, 3_600_000]);
    const budget = createPollBudget({ rpm: 60, burst: 2, scheduler });
    const t0 = s.clock.now();
    const subscriptions = ids.map((id) =>
      watchRun({
        client,
        job: { kind: 'response', id },
        source: hybrid(hub, budget.poll({ initialDelayMs: 3_600_000, maxDelayMs: 3_600_000 }), {
          fetch: 'never',
        }),
        scheduler,
        maxWaitMs: 60 * 60_000,
      }).subscribe(),
    );
    // The reads at start queue once the hub's store has answered (a few microtasks): then all five wait for tokens,
    // two of which the burst lets go.
    await new Promise((resolve) => setImmediate(resolve));
    const first = budget.stats();
    expect(first.watches).toBe(5);
    expect(first.due + first.requests).toBe(5);
    expect(first.requests).toBeLessThanOrEqual(2 + Math.floor((s.clock.now() - t0) / 1000));
    // Two go with the burst, one more each second of the shared clock.
    await new Promise((resolve) => setTimeout(resolve, 3000 / SPEED));
    const { due, requests } = budget.stats();
    expect(due + requests).toBe(5);
    expect(requests).toBeGreaterThanOrEqual(2);
    expect(requests).toBeLessThanOrEqual(2 + Math.floor((s.clock.now() - t0) / 1000));
    // The budget counts a read when it lets it go; the simulator counts it when it arrives. A loaded machine can hold
    // one on the socket in between, so wait for the server to see every read the budget let go, and no more.
    await vi.waitFor(() => expect(retrieves(s, ids)).toBe(budget.stats().requests), {
      timeout: 2000,
      interval: 5,
    });
    for (const subscription of subscriptions) subscription.unsubscribe();
  });
});
