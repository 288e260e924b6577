import { filter, Subject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { response } from '../../src/kinds/response/spec.js';
import type { SourceContext, StatusEvent } from '../../src/model/types.js';
import { HYBRID_FALLBACK_POLL, hybrid } from '../../src/sources/hybrid.js';
import { poll } from '../../src/sources/poll.js';
import type { WebhookEvent } from '../../src/webhooks/event.js';
import { createWebhookHub, type WebhookRoutes } from '../../src/webhooks/hub.js';
import { makeWebhookSecret, signWebhook, webhookEventBody } from '../helpers/sign-webhook.js';
import { type Reply, testSourceContext } from '../helpers/source-context.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function fakeRoutes() {
  const events = new Subject<WebhookEvent>();
  const routes: WebhookRoutes = { jobEvents: (jobId) => events.pipe(filter((e) => e.data.id === jobId)) };
  let n = 0;
  const push = (type: string, jobId = 'resp_1') =>
    events.next({ id: `evt_${n}`, type, created_at: 0, data: { id: jobId }, webhookId: `wh_${n++}` });
  return { routes, push };
}

function context(script: readonly Reply[], overrides: Partial<SourceContext> = {}) {
  const t = testSourceContext(script, overrides);
  t.ctx.adapter = { ...t.ctx.adapter, webhookStatus: response.webhookStatus };
  return t;
}

function record(source: ReturnType<typeof hybrid>, ctx: SourceContext) {
  const events: StatusEvent[] = [];
  const subscription = source.watch(ctx).subscribe((e) => events.push(e));
  return { events, subscription };
}

/** A deterministic fallback: one poll every second. */
const everySecond = poll({ initialDelayMs: 1000, factor: 1, maxDelayMs: 1000, jitter: 'none' });

describe('hybrid()', () => {
  it('is named hybrid, and falls back to a slow poll by default', () => {
    const { routes } = fakeRoutes();
    expect(hybrid(routes).name).toBe('hybrid');
    // Changed on purpose (issue 13): the fallback's delays are the job's age, from 90 s (5 min for batches).
    expect(HYBRID_FALLBACK_POLL.schedules).toMatchObject({
      response: { initialDelayMs: 90_000, growth: { share: 1 } },
      'assistants.run': { initialDelayMs: 90_000, growth: { share: 1 } },
      batch: { initialDelayMs: 300_000, growth: { share: 1 } },
    });
  });

  it('reports webhook events, and each one restarts the fallback schedule', async () => {
    const { routes, push } = fakeRoutes();
    const t = context(['in_progress']);
    const rec = record(hybrid(routes, everySecond, { fetch: 'never', createdJustNow: true }), t.ctx);
    await vi.advanceTimersByTimeAsync(800);
    push('response.in_progress');
    await vi.advanceTimersByTimeAsync(900);
    push('response.in_progress');
    await vi.advanceTimersByTimeAsync(1500);
    // Without webhooks the poll would have fired at 1000, 2000, 3000.
    expect(t.calls.map((c) => c.at)).toEqual([2700]);
    expect(rec.events.map((e) => e.source)).toEqual(['webhook', 'webhook', 'poll']);
  });

  it('catches a lost webhook within the fallback interval', async () => {
    const { routes } = fakeRoutes();
    const t = context(['in_progress', 'completed']);
    const rec = record(hybrid(routes, everySecond, { createdJustNow: true }), t.ctx);
    await vi.advanceTimersByTimeAsync(2000);
    expect(rec.events.map((e) => [e.source, e.status, e.at])).toEqual([
      ['poll', 'in_progress', 1000],
      ['poll', 'completed', 2000],
    ]);
  });

  it("still passes the watch's own nudges to the fallback", async () => {
    const { routes } = fakeRoutes();
    const t = context(['in_progress']);
    record(hybrid(routes, everySecond, { createdJustNow: true }), t.ctx);
    await vi.advanceTimersByTimeAsync(500);
    t.nudge.next();
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.calls.map((c) => c.at)).toEqual([1500]);
  });

  it('with the default fallback, does not poll soon after a webhook', async () => {
    const { routes, push } = fakeRoutes();
    const t = context(['in_progress']);
    record(hybrid(routes, undefined, { createdJustNow: true }), t.ctx);
    await vi.advanceTimersByTimeAsync(10_000);
    push('response.in_progress');
    await vi.advanceTimersByTimeAsync(0);
    expect(t.calls).toHaveLength(1); // the webhook's own retrieve (fetch: 'always')
    await vi.advanceTimersByTimeAsync(89_999);
    expect(t.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.calls.map((c) => c.at)).toEqual([10_000, 100_000]);
  });

  it('with the default fallback, polls a quiet job at ages doubling from 90 s (5 min for a batch)', async () => {
    const { routes } = fakeRoutes();
    const t = context(['in_progress']);
    const rec = record(hybrid(routes, undefined, { fetch: 'never', createdJustNow: true }), t.ctx);
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(t.calls.map((c) => c.at)).toEqual([90_000, 180_000, 360_000, 720_000, 1_440_000]);
    rec.subscription.unsubscribe();

    const start = Date.now();
    const b = context(['in_progress'], { job: { kind: 'batch', id: 'batch_1' } });
    record(hybrid(routes, undefined, { fetch: 'never', createdJustNow: true }), b.ctx);
    await vi.advanceTimersByTimeAsync(5 * 3600_000);
    // Doubling up to 2 h, then every 2 h.
    expect(b.calls.map((c) => (c.at - start) / 60_000)).toEqual([5, 10, 20, 40, 80, 160, 280]);
  });

  it('gets the events the hub held before the watch started', async () => {
    const secret = makeWebhookSecret();
    const hub = createWebhookHub({ secret });
    const body = webhookEventBody('response.completed', 'resp_1', 0);
    const answer = await hub.handler(
      new Request('http://hub.test/', { method: 'POST', body, headers: signWebhook({ secret, body }) }),
    );
    expect(answer.status).toBe(200);
    await vi.advanceTimersByTimeAsync(1);
    const t = context(['in_progress']);
    t.ctx.adapter = { ...t.ctx.adapter, jobId: response.jobId };
    const rec = record(hybrid(hub, everySecond, { fetch: 'when-needed' }), t.ctx);
    expect(rec.events.map((e) => [e.source, e.status])).toEqual([['webhook', 'completed']]);
    expect(t.calls).toHaveLength(0);
  });
});
