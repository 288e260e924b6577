import type OpenAI from 'openai';
import { type Observable, type SchedulerAction, type SchedulerLike, Subject, Subscription } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthenticationError, NotFoundError } from '../../src/errors/index.js';
import { batch, response } from '../../src/kinds/index.js';
import type { JobRef, KindAdapter, SourceContext, StatusEvent } from '../../src/model/types.js';
import { createRequestMeter } from '../../src/requests/request-meter.js';
import type { ManualClock, Simulator } from '../../src/sim/index.js';
import { backoffSchedule } from '../../src/sources/backoff.js';
import { type PollOptions, poll } from '../../src/sources/poll.js';
import { manualSim, scenarioMeta, simClient } from '../helpers/sim.js';
import { seededRandom } from '../helpers/source-context.js';

// The real SDK against the simulator on its manual clock. The poll source's scheduler is that same clock, and the
// driver below moves it from one pending timer to the next, waiting for every request in flight before moving
// on: virtual time with real HTTP, where a response takes no virtual time. The retrieve times are then exactly
// what backoffSchedule computes.

let sim: Simulator<ManualClock>;
let client: OpenAI;

afterEach(async () => {
  await sim?.close();
});

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An RxJS scheduler on the simulator's manual clock; `nextDue()` tells the driver where to move it. */
function clockScheduler(clock: ManualClock): SchedulerLike & { nextDue(): number | undefined } {
  const due = new Set<number>();
  return {
    now: () => clock.now(),
    nextDue: () => (due.size === 0 ? undefined : Math.min(...due)),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      const action = new Subscription() as SchedulerAction<T>;
      let cancel: (() => void) | undefined;
      action.schedule = (nextState?: T, nextDelay = 0) => {
        cancel?.();
        const at = clock.now() + nextDelay;
        due.add(at);
        const unschedule = clock.schedule(at, () => {
          due.delete(at);
          if (!action.closed) work.call(action, nextState);
        });
        cancel = () => {
          due.delete(at);
          unschedule();
        };
        return action;
      };
      action.add(() => cancel?.());
      return action.schedule(state, delay);
    },
  };
}

interface Watch {
  events: StatusEvent[];
  error: unknown;
  done: boolean;
  /** Clock ms of every retrieve the source sent. */
  retrieves: number[];
  calls: () => number;
  unsubscribe(): void;
}

/** Watches `job` with `poll(options)` on the simulator's clock, and drives the clock until the source ends. */
async function watchOnSim(
  job: JobRef,
  options: PollOptions,
  { adapter = response as KindAdapter<unknown>, maxWaitMs = 600_000, seed = 7 } = {},
): Promise<Watch> {
  const scheduler = clockScheduler(sim.clock);
  const inFlight = new Set<Promise<unknown>>();
  const w: Watch = {
    events: [],
    error: undefined,
    done: false,
    retrieves: [],
    calls: () => 0,
    unsubscribe() {},
  };
  const counted: KindAdapter<unknown> = {
    ...adapter,
    retrieve(c, ref, callOptions) {
      w.retrieves.push(sim.clock.now());
      const p = adapter.retrieve(c, ref, callOptions);
      const settled: Promise<boolean> = p.then(
        () => inFlight.delete(settled),
        () => inFlight.delete(settled),
      );
      inFlight.add(settled);
      return p;
    },
  };
  const meter = createRequestMeter();
  const ctx: SourceContext = {
    client,
    job,
    adapter: counted,
    meter,
    scheduler,
    random: seededRandom(seed),
    deadline: sim.clock.now() + maxWaitMs,
    nudge$: new Subject<void>() as Observable<void>,
    signal: new AbortController().signal,
  };
  w.calls = () => meter.count;
  const subscription = poll(options)
    .watch(ctx)
    .subscribe({
      next: (e) => w.events.push(e),
      error: (e: unknown) => {
        w.error = e;
        w.done = true;
      },
      complete: () => {
        w.done = true;
      },
    });
  w.unsubscribe = () => subscription.unsubscribe();
  while (!w.done) {
    if (inFlight.size > 0) await Promise.all(inFlight);
    else {
      const at = scheduler.nextDue();
      if (at === undefined) throw new Error('the source is idle but has not ended');
      await sim.clock.set(Math.max(at, sim.clock.now()));
    }
    await nextTurn();
  }
  return w;
}

const createResponse = (scenario: object) =>
  client.responses.create({
    model: 'gpt-4o-mini',
    input: 'hi',
    background: true,
    metadata: scenarioMeta(scenario),
  });

describe('poll() against the simulator, through the real SDK', () => {
  it("retrieves on exactly the policy's schedule, and counts what the server counts", async () => {
    ({ sim, client } = await manualSim());
    // Queued for 600 ms, so the first poll (500 ms with the default, jitter-free schedule) still sees it queued.
    const created = await createResponse({ phases: { queued: 600, in_progress: 20_000 } });
    const start = sim.clock.now();
    const options = {}; // the defaults: 500 ms ×1.5 up to 5 s
    const w = await watchOnSim({ kind: 'response', id: created.id }, options);

    const endedAt = sim.job(created.id)?.endedAt;
    expect(endedAt).toBe(start + 20_600);
    // Every poll before the end sees it running; the first one at or after the end sees it completed.
    const before = backoffSchedule(poll(options).policy, { random: seededRandom(7), start, until: endedAt! });
    expect(w.retrieves.slice(0, -1)).toEqual(before);
    expect(w.retrieves.at(-1)).toBeGreaterThanOrEqual(endedAt!);
    expect(w.calls()).toBe(before.length + 1);
    expect(sim.job(created.id)?.retrieves).toBe(w.calls());

    expect(w.error).toBeUndefined();
    expect(w.events.at(-1)).toMatchObject({ state: 'completed', status: 'completed', source: 'poll' });
    const statuses = [...new Set(w.events.map((e) => e.status))];
    expect(statuses).toEqual(['queued', 'in_progress', 'completed']);
    expect(w.events.at(-1)?.job).toHaveProperty('output_text');
  });

  it('maps a batch lifecycle and stops at its terminal status', async () => {
    ({ sim, client } = await manualSim());
    const file = await client.files.create({
      file: new File(['{"custom_id":"1","method":"POST","url":"/v1/responses","body":{}}\n'], 'in.jsonl'),
      purpose: 'batch',
    });
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/responses',
      completion_window: '24h',
    });
    const w = await watchOnSim({ kind: 'batch', id: created.id }, { jitter: 'none' }, { adapter: batch });
    expect(w.error).toBeUndefined();
    expect(w.events.at(-1)?.state).toBe('completed');
    expect(w.events.every((e) => e.state !== undefined)).toBe(true);
    expect(sim.job(created.id)?.retrieves).toBe(w.calls());
  });

  it("retries the server's 429s, waiting at least what retry-after asks", async () => {
    ({ sim, client } = await manualSim({
      faults: { rateLimit: { next: 2, routes: ['*.retrieve'], retryAfterMs: 1500 } },
    }));
    const created = await createResponse({ phases: { queued: 200, in_progress: 3000 } });
    const w = await watchOnSim({ kind: 'response', id: created.id }, { jitter: 'none' });
    expect(w.error).toBeUndefined();
    expect(w.events.at(-1)?.state).toBe('completed');
    // The 429s say retry-after-ms: 1500 and retry-after: 2 (rounded up): the larger lower bound wins over the
    // retry backoff's 1 s.
    expect((w.retrieves[1] ?? 0) - (w.retrieves[0] ?? 0)).toBe(2000);
    expect((w.retrieves[2] ?? 0) - (w.retrieves[1] ?? 0)).toBe(2000);
    expect(sim.stats().requests.byRoute['responses.retrieve']?.byStatus).toMatchObject({ 429: 2 });
    expect(sim.job(created.id)?.retrieves).toBe(w.calls());
  });

  it.each([
    ['503s', { serverError: { next: 2, routes: ['*.retrieve'], status: 503 as const } }],
    ['dropped connections', { drop: { next: 2, routes: ['*.retrieve'] } }],
  ])("retries the server's %s with the retry backoff", async (_, faults) => {
    ({ sim, client } = await manualSim({ faults }));
    const created = await createResponse({ phases: { queued: 200, in_progress: 3000 } });
    const w = await watchOnSim(
      { kind: 'response', id: created.id },
      { jitter: 'none', retryBackoff: { jitter: 'none' } },
    );
    expect(w.error).toBeUndefined();
    expect(w.events.at(-1)?.state).toBe('completed');
    const first = w.retrieves[0] ?? 0;
    expect(w.retrieves.slice(0, 3)).toEqual([first, first + 1000, first + 3000]);
    expect(sim.job(created.id)?.retrieves).toBe(w.calls());
  });

  it('treats openai-poll-after-ms as a lower bound', async () => {
    ({ sim, client } = await manualSim({ faults: { pollAfterMs: 3000 } }));
    const created = await createResponse({ phases: { queued: 200, in_progress: 10_000 } });
    const w = await watchOnSim({ kind: 'response', id: created.id }, { jitter: 'none' });
    const gaps = w.retrieves.slice(1).map((t, i) => t - (w.retrieves[i] ?? 0));
    expect(gaps.length).toBeGreaterThan(1);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(3000);
    expect(w.events.at(-1)?.state).toBe('completed');
  });

  it('stops at the deadline without an error, never retrieving past it', async () => {
    ({ sim, client } = await manualSim());
    const created = await createResponse({ phases: { queued: 200, in_progress: 60_000 } });
    const start = sim.clock.now();
    const w = await watchOnSim({ kind: 'response', id: created.id }, {}, { maxWaitMs: 10_000, seed: 3 });
    expect(w.error).toBeUndefined();
    expect(sim.clock.now()).toBe(start + 10_000);
    expect(w.retrieves).toEqual(
      backoffSchedule(poll().policy, { random: seededRandom(3), start, until: start + 10_000 }),
    );
    expect(w.events.at(-1)?.state).toBe('in_progress');
  });

  it('fails fast with NotFoundError for an unknown id', async () => {
    ({ sim, client } = await manualSim());
    const w = await watchOnSim({ kind: 'response', id: 'resp_missing' }, {});
    expect(w.error).toBeInstanceOf(NotFoundError);
    expect(w.calls()).toBe(1);
  });

  it('fails fast with AuthenticationError for a refused key', async () => {
    ({ sim } = await manualSim({ apiKey: 'right' }));
    client = simClient(sim, { apiKey: 'wrong' });
    const w = await watchOnSim({ kind: 'response', id: 'resp_any' }, {});
    expect(w.error).toBeInstanceOf(AuthenticationError);
    expect(w.calls()).toBe(1);
  });
});

describe('poll() leaving a real request', () => {
  it('unsubscribing drops the HTTP request in flight: it is answered, and the answer reaches no one', async () => {
    ({ sim, client } = await manualSim({ faults: { latency: { ms: 300, routes: ['*.retrieve'] } } }));
    const created = await createResponse({});
    const scheduler = clockScheduler(sim.clock);
    const meter = createRequestMeter();
    let settled: 'answered' | 'rejected' | undefined;
    const signals: unknown[] = [];
    const adapter: KindAdapter<unknown> = {
      ...response,
      retrieve: (c, ref, o) => {
        signals.push(o.signal);
        return response.retrieve(c, ref, o).then(
          (r) => {
            settled = 'answered';
            return r;
          },
          (e: unknown) => {
            settled = 'rejected';
            throw e;
          },
        );
      },
    };
    const events: unknown[] = [];
    let error: unknown;
    let completed = false;
    const subscription = poll({ jitter: 'none' })
      .watch({
        client,
        job: { kind: 'response', id: created.id },
        adapter,
        meter,
        scheduler,
        random: Math.random,
        deadline: Number.POSITIVE_INFINITY,
        nudge$: new Subject<void>(),
        signal: new AbortController().signal,
      })
      .subscribe({
        next: (e) => events.push(e),
        error: (e: unknown) => (error = e),
        complete: () => (completed = true),
      });
    await sim.clock.advance(500);
    expect(meter.count).toBe(1);
    // Sent without a signal (src/sources/poll-request.ts says why).
    expect(signals).toEqual([undefined]);
    subscription.unsubscribe();
    expect(scheduler.nextDue()).toBeUndefined();
    await vi.waitFor(() => expect(settled).toBe('answered'), { timeout: 2000 });
    expect(events).toEqual([]);
    expect(error).toBeUndefined();
    expect(completed).toBe(false);
    expect(meter.count).toBe(1);
  });
});
