import { APIConnectionError } from 'openai';
import { filter, Subject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, NotFoundError } from '../../src/errors/index.js';
import { response } from '../../src/kinds/response/spec.js';
import type { SourceContext, StatusEvent } from '../../src/model/types.js';
import { hybrid } from '../../src/sources/hybrid.js';
import { poll } from '../../src/sources/poll.js';
import { START_READ_JITTER_MS } from '../../src/sources/read-gate.js';
import { webhookSource } from '../../src/sources/webhook.js';
import type { WebhookEvent } from '../../src/webhooks/event.js';
import type { WebhookRoutes } from '../../src/webhooks/hub.js';
import { createWebhookHub } from '../../src/webhooks/hub.js';
import { makeWebhookSecret, signWebhook, webhookEventBody } from '../helpers/sign-webhook.js';
import { apiError, type Reply, testSourceContext } from '../helpers/source-context.js';
import { listenHub, settle } from '../helpers/webhook-server.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A hub stand-in: events pushed on `push` reach the watches of `data.id`. */
function fakeRoutes() {
  const events = new Subject<WebhookEvent>();
  const asked: string[] = [];
  const routes: WebhookRoutes = {
    jobEvents(jobId) {
      asked.push(jobId);
      return events.pipe(filter((e) => e.data.id === jobId));
    },
  };
  let n = 0;
  const push = (type: string, jobId = 'resp_1', createdAt = 900) =>
    events.next({ id: `evt_${n}`, type, created_at: createdAt, data: { id: jobId }, webhookId: `wh_${n++}` });
  return { routes, push, asked };
}

/** A test context whose fake adapter reads webhooks as the Responses adapter does. */
function context(script: readonly Reply[], overrides: Partial<SourceContext> = {}) {
  const t = testSourceContext(script, overrides);
  t.ctx.adapter = { ...t.ctx.adapter, webhookStatus: response.webhookStatus };
  return t;
}

function record(observable: ReturnType<ReturnType<typeof webhookSource>['watch']>) {
  const rec = { events: [] as StatusEvent[], error: undefined as unknown, completed: false };
  const subscription = observable.subscribe({
    next: (e) => rec.events.push(e),
    error: (e: unknown) => {
      rec.error = e;
    },
    complete: () => {
      rec.completed = true;
    },
  });
  return Object.assign(rec, { subscription });
}

/** The watched jobs were created just now: these tests are about events, not the read at start. */
const FRESH = { createdJustNow: true } as const;

describe('webhookSource()', () => {
  it('validates its options', () => {
    const { routes } = fakeRoutes();
    expect(webhookSource(routes, FRESH)).toMatchObject({ name: 'webhook', fetch: 'always' });
    expect(() => webhookSource(routes, { ...FRESH, fetch: 'sometimes' as never })).toThrow(
      ConfigurationError,
    );
    expect(() => webhookSource(routes, { ...FRESH, retries: -1 })).toThrow(ConfigurationError);
    expect(() => webhookSource(routes, { ...FRESH, retryDelayMs: Number.NaN })).toThrow(ConfigurationError);
    expect(() => webhookSource(routes, { createdJustNow: 'yes' as never })).toThrow(ConfigurationError);
  });

  it('is cold, and subscribes to the events of its job', () => {
    const { routes, asked } = fakeRoutes();
    const t = context(['completed']);
    const watch$ = webhookSource(routes, FRESH).watch(t.ctx);
    expect(asked).toEqual([]);
    watch$.subscribe();
    expect(asked).toEqual(['resp_1']);
  });

  it("fetch 'always': one retrieve per event, the full object, at the response time", async () => {
    const { routes, push } = fakeRoutes();
    const t = context([{ status: 'completed', latencyMs: 50 }]);
    const rec = record(webhookSource(routes, FRESH).watch(t.ctx));
    push('response.completed');
    await vi.advanceTimersByTimeAsync(50);
    expect(t.meter.count).toBe(1);
    expect(rec.events).toEqual([
      {
        type: 'status',
        state: 'completed',
        status: 'completed',
        job: { id: 'resp_1', status: 'completed' },
        at: 1_000_050,
        source: 'webhook',
        expiresAt: null,
        toolCalls: [],
      },
    ]);
  });

  it("fetch 'when-needed': a terminal event ends the watch with 0 retrieves", async () => {
    const { routes, push } = fakeRoutes();
    const t = context(['in_progress']);
    const rec = record(webhookSource(routes, { ...FRESH, fetch: 'when-needed' }).watch(t.ctx));
    push('response.in_progress', 'resp_1', 901);
    push('response.failed', 'resp_1', 902);
    await vi.advanceTimersByTimeAsync(0);
    // The non-terminal event needed a retrieve (expiry, tool calls); the terminal one did not.
    expect(t.meter.count).toBe(1);
    expect(rec.events.map((e) => [e.status, e.at])).toEqual([
      ['in_progress', 1_000_000],
      ['failed', 902_000],
    ]);
    expect(rec.events[1]!.job).toEqual({
      id: 'resp_1',
      object: 'response',
      status: 'failed',
      announced: true,
    });
    expect(rec.completed).toBe(true);
  });

  it('completes after a terminal event, and does nothing once the watch has stopped', async () => {
    const { routes, push } = fakeRoutes();
    const t = context(['in_progress', 'completed']);
    const rec = record(webhookSource(routes, FRESH).watch(t.ctx));
    push('response.in_progress');
    push('response.completed');
    push('response.completed');
    await vi.advanceTimersByTimeAsync(0);
    expect(rec.completed).toBe(true);
    expect(t.meter.count).toBe(2);
    t.stop.abort();
    const late = record(webhookSource(routes, FRESH).watch(t.ctx));
    push('response.completed');
    await vi.advanceTimersByTimeAsync(0);
    expect(late.completed).toBe(true);
    expect(t.meter.count).toBe(2);
  });

  it("fetch 'never': no retrieve at all", async () => {
    const { routes, push } = fakeRoutes();
    const t = context(['completed']);
    const rec = record(webhookSource(routes, { ...FRESH, fetch: 'never' }).watch(t.ctx));
    push('response.in_progress');
    push('response.completed');
    await vi.advanceTimersByTimeAsync(0);
    expect(t.meter.count).toBe(0);
    expect(rec.events.map((e) => e.state)).toEqual(['in_progress', 'completed']);
  });

  it('announces an assistants run with its thread id', async () => {
    const { routes, push } = fakeRoutes();
    const t = context(['completed'], {
      job: { kind: 'assistants.run', threadId: 'thread_1', runId: 'resp_1' },
    });
    t.ctx.adapter = { ...t.ctx.adapter, webhookStatus: (type) => type.replace('thread.run.', '') };
    const rec = record(webhookSource(routes, { ...FRESH, fetch: 'never' }).watch(t.ctx));
    push('thread.run.cancelled');
    await vi.advanceTimersByTimeAsync(0);
    expect(rec.events[0]!.job).toEqual({
      id: 'resp_1',
      object: 'thread.run',
      thread_id: 'thread_1',
      status: 'cancelled',
      announced: true,
    });
  });

  it('ignores event types its kind does not recognise, without a retrieve', async () => {
    const { routes, push } = fakeRoutes();
    const t = context(['completed']);
    const rec = record(webhookSource(routes, FRESH).watch(t.ctx));
    push('batch.completed');
    push('fine_tuning.job.succeeded');
    await vi.advanceTimersByTimeAsync(1000);
    expect(rec.events).toEqual([]);
    expect(rec.error).toBeUndefined();
    expect(t.meter.count).toBe(0);
  });

  it('handles events in arrival order, one retrieve each', async () => {
    const { routes, push } = fakeRoutes();
    const t = context([
      { status: 'in_progress', latencyMs: 100 },
      { status: 'completed', latencyMs: 10 },
    ]);
    const rec = record(webhookSource(routes, FRESH).watch(t.ctx));
    push('response.in_progress');
    push('response.completed');
    await vi.advanceTimersByTimeAsync(50);
    expect(t.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(t.calls).toHaveLength(2);
    expect(rec.events.map((e) => e.status)).toEqual(['in_progress', 'completed']);
  });

  it('retries a transient failure on the scheduler, counting each request', async () => {
    const { routes, push } = fakeRoutes();
    const t = context([{ error: apiError(503) }, { error: new APIConnectionError({}) }, 'completed']);
    const rec = record(webhookSource(routes, { ...FRESH, retryDelayMs: 100 }).watch(t.ctx));
    push('response.completed');
    await vi.advanceTimersByTimeAsync(0);
    expect(t.calls.map((c) => c.at)).toEqual([1_000_000]);
    await vi.advanceTimersByTimeAsync(300);
    expect(t.calls.map((c) => c.at)).toEqual([1_000_000, 1_000_100, 1_000_300]);
    expect(t.meter.count).toBe(3);
    expect(rec.events.map((e) => e.job)).toEqual([{ id: 'resp_1', status: 'completed' }]);
  });

  it('reports an announced terminal status when retrieves keep failing, and skips a non-terminal one', async () => {
    const { routes, push } = fakeRoutes();
    const t = context([{ error: apiError(500) }]);
    const rec = record(webhookSource(routes, { ...FRESH, retries: 2, retryDelayMs: 10 }).watch(t.ctx));
    push('response.in_progress');
    push('response.completed');
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.meter.count).toBe(6);
    expect(rec.events.map((e) => [e.status, (e.job as { announced?: boolean }).announced])).toEqual([
      ['completed', true],
    ]);
    expect(rec.error).toBeUndefined();
  });

  it('does not retry past the deadline', async () => {
    const { routes, push } = fakeRoutes();
    const t = context([{ error: apiError(429) }], { deadline: 1_000_500 });
    record(webhookSource(routes, { ...FRESH, retryDelayMs: 300 }).watch(t.ctx));
    push('response.completed');
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.calls.map((c) => c.at)).toEqual([1_000_000, 1_000_300]);
  });

  it('errors with a typed error when the retrieve fails for good', async () => {
    const { routes, push } = fakeRoutes();
    const t = context([{ error: apiError(404) }]);
    const rec = record(webhookSource(routes, FRESH).watch(t.ctx));
    push('response.completed');
    await vi.advanceTimersByTimeAsync(0);
    expect(rec.error).toBeInstanceOf(NotFoundError);
    expect(t.meter.count).toBe(1);
  });

  it('turns an adapter that throws synchronously into a typed error', async () => {
    const { routes, push } = fakeRoutes();
    const t = context(['completed']);
    t.ctx.adapter = {
      ...t.ctx.adapter,
      retrieve: () => {
        throw apiError(404);
      },
    };
    const rec = record(webhookSource(routes, FRESH).watch(t.ctx));
    push('response.completed');
    await vi.advanceTimersByTimeAsync(0);
    expect(rec.error).toBeInstanceOf(NotFoundError);
  });

  it('stops when the watch aborts, aborting the request in flight', async () => {
    const { routes, push } = fakeRoutes();
    const t = context(['hang']);
    const rec = record(webhookSource(routes, FRESH).watch(t.ctx));
    push('response.completed');
    await vi.advanceTimersByTimeAsync(0);
    t.stop.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.calls[0]!.signal!.aborted).toBe(true);
    expect(rec.completed).toBe(true);
    expect(rec.events).toEqual([]);
    expect(rec.error).toBeUndefined();
  });

  it('aborts the request in flight on unsubscribe', async () => {
    const { routes, push } = fakeRoutes();
    const t = context(['hang']);
    const rec = record(webhookSource(routes, FRESH).watch(t.ctx));
    push('response.completed');
    await vi.advanceTimersByTimeAsync(0);
    rec.subscription.unsubscribe();
    expect(t.calls[0]!.signal!.aborted).toBe(true);
  });
});

describe('webhookSource(): the read at start', () => {
  it('reads the job once when the hub knows nothing of it, then follows its events', async () => {
    const { routes, push } = fakeRoutes();
    const t = context(['in_progress', 'completed']);
    const rec = record(webhookSource(routes).watch(t.ctx));
    // The read waits for its turn at the client's gate, and a jitter of up to START_READ_JITTER_MS.
    await vi.advanceTimersByTimeAsync(START_READ_JITTER_MS);
    expect(rec.events.map((e) => [e.source, e.status])).toEqual([['poll', 'in_progress']]);
    push('response.completed');
    await vi.advanceTimersByTimeAsync(0);
    expect(rec.events.map((e) => [e.source, e.status])).toEqual([
      ['poll', 'in_progress'],
      ['webhook', 'completed'],
    ]);
    expect(t.meter.count).toBe(2);
  });

  it("replays the event the hub's store kept instead of reading", async () => {
    const { routes } = fakeRoutes();
    const kept: WebhookEvent = {
      id: 'evt_kept',
      type: 'response.failed',
      created_at: 900,
      data: { id: 'resp_1' },
      webhookId: 'wh_kept',
    };
    const asked: string[] = [];
    const withStore: WebhookRoutes = {
      ...routes,
      lastEvent: async (jobId) => {
        asked.push(jobId);
        return kept;
      },
    };
    const t = context(['completed']);
    const rec = record(webhookSource(withStore, { fetch: 'when-needed' }).watch(t.ctx));
    await vi.advanceTimersByTimeAsync(0);
    expect(asked).toEqual(['resp_1']);
    expect(rec.events.map((e) => [e.source, e.status])).toEqual([['webhook', 'failed']]);
    expect(rec.completed).toBe(true);
    expect(t.meter.count).toBe(0);
  });

  it('ends with RetriesExhaustedError when the read keeps failing: whether the job ended is unknown', async () => {
    const { routes } = fakeRoutes();
    const t = context([{ error: apiError(503) }]);
    const rec = record(webhookSource(routes, { retries: 2, retryDelayMs: 10 }).watch(t.ctx));
    await vi.advanceTimersByTimeAsync(100);
    expect(t.meter.count).toBe(3);
    expect(rec.error).toMatchObject({ code: 'retries_exhausted', status: 503 });
    expect(String((rec.error as Error).message)).toContain('whether the job already ended is unknown');
  });

  it('with hybrid, a failing read at start is left to the fallback poll', async () => {
    const { routes } = fakeRoutes();
    const t = context([{ error: apiError(503) }, { error: apiError(503) }, 'completed']);
    const everySecond = poll({ initialDelayMs: 1000, factor: 1, maxDelayMs: 1000, jitter: 'none' });
    const events: StatusEvent[] = [];
    let error: unknown;
    hybrid(routes, everySecond, { retries: 1, retryDelayMs: 10 })
      .watch(t.ctx)
      .subscribe({ next: (e) => events.push(e), error: (e: unknown) => (error = e) });
    await vi.advanceTimersByTimeAsync(1000);
    expect(error).toBeUndefined();
    expect(events.map((e) => [e.source, e.status])).toEqual([['poll', 'completed']]);
  });
});

describe('webhookSource() on a real hub and socket', () => {
  beforeEach(() => {
    vi.useRealTimers();
  });

  it('routes a signed delivery to the watch of its job only, and holds one that came before the watch', async () => {
    const secret = makeWebhookSecret();
    const hub = createWebhookHub({ secret });
    const server = await listenHub(hub);
    const post = (type: string, jobId: string) => {
      const body = webhookEventBody(type, jobId);
      return fetch(server.url, { method: 'POST', body, headers: signWebhook({ secret, body }) });
    };
    try {
      // resp_early ends before anyone watches it.
      expect((await post('response.completed', 'resp_early')).status).toBe(200);
      await settle();
      const watch = (id: string, createdJustNow = true) => {
        const t = context(['completed'], { job: { kind: 'response', id } });
        t.ctx.adapter = { ...t.ctx.adapter, jobId: response.jobId };
        return record(webhookSource(hub, { fetch: 'never', createdJustNow }).watch(t.ctx));
      };
      const early = watch('resp_early', false);
      const a = watch('resp_a');
      const b = watch('resp_b');
      expect(early.events.map((e) => e.status)).toEqual(['completed']);
      expect((await post('response.incomplete', 'resp_a')).status).toBe(200);
      await settle();
      expect(a.events.map((e) => e.status)).toEqual(['incomplete']);
      expect(b.events).toEqual([]);
      for (const rec of [early, a, b]) rec.subscription.unsubscribe();
      expect(hub.stats().watching).toBe(0);
    } finally {
      await server.close();
    }
  });
});
