import type { Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../src/errors/index.js';
import type { Source, SourceContext, StatusEvent } from '../../src/model/types.js';
import {
  adaptivePoll,
  createDurationModel,
  type DurationModel,
  durationInterval,
  durationKey,
  nextPollAt,
  serverDurationMs,
} from '../../src/sources/adaptive.js';
import { backoffSchedule } from '../../src/sources/backoff.js';
import { type Reply, seededRandom, testSourceContext } from '../helpers/source-context.js';

// Virtual time: vitest's fake timers drive asyncScheduler (see poll.test.ts).
beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A model that knows 200 responses ended between 10 s and 12 s. */
function warmModel(key = 'response'): DurationModel {
  const model = createDurationModel();
  for (let i = 0; i < 200; i++) model.record(10_000 + i * 10, key);
  return model;
}

/** Adds fields to every job the fake adapter returns (created_at, model, completed_at...). */
function withFields(ctx: SourceContext, fields: (status: string, at: number) => Record<string, unknown>) {
  const retrieve = ctx.adapter.retrieve;
  ctx.adapter = {
    ...ctx.adapter,
    retrieve: async (...args: Parameters<typeof retrieve>) => {
      const r = await retrieve(...args);
      return { ...r, job: { ...r.job, ...fields(r.job.status, Date.now()) } };
    },
  };
}

function run(source: Source, script: readonly Reply[], overrides: Partial<SourceContext> = {}) {
  const t = testSourceContext(script, { deadline: 10 * 60_000, ...overrides });
  const events: StatusEvent[] = [];
  let subscription: Subscription | undefined;
  const start = () => {
    subscription = source.watch(t.ctx).subscribe((e) => events.push(e));
  };
  return {
    ...t,
    events,
    start,
    stopWatch: () => subscription?.unsubscribe(),
    times: () => t.calls.map((c) => c.at),
  };
}

describe('adaptivePoll: schedule', () => {
  it('polls like poll() while the model knows too little (cold start)', async () => {
    const source = adaptivePoll(createDurationModel());
    const r = run(source, ['in_progress'], { random: seededRandom(9), deadline: 30_000 });
    r.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(r.times()).toEqual(backoffSchedule(source.cold, { random: seededRandom(9), until: 30_000 }));
  });

  it('once warm, polls on the plan: nothing before the jobs can end, then every allowance', async () => {
    const model = warmModel();
    const source = adaptivePoll(model, { targetDelayMs: 1000, targetDelay: 0 });
    const plan = model.plan('response', source.planOptions)!;
    expect(plan.times[0]).toBeGreaterThanOrEqual(10_000);
    const r = run(source, ['in_progress']);
    r.start();
    await vi.advanceTimersByTimeAsync(30_000);
    const times = r.times();
    expect(times.slice(0, plan.times.length)).toEqual(plan.times);
    // Past the plan, one poll per allowance.
    const tail = times.slice(plan.times.length);
    expect(tail.length).toBeGreaterThan(5);
    for (let i = 1; i < tail.length; i++) expect(tail[i]! - tail[i - 1]!).toBe(1000);
  });

  it('after a nudge, looks again soon (the cold delay), then goes back to the plan', async () => {
    const model = warmModel();
    const source = adaptivePoll(model, { targetDelayMs: 1000, targetDelay: 0, cold: { jitter: 'none' } });
    const plan = model.plan('response', source.planOptions)!;
    const r = run(source, ['in_progress']);
    r.start();
    await vi.advanceTimersByTimeAsync(3000);
    expect(r.times()).toEqual([]);
    r.nudge.next();
    await vi.advanceTimersByTimeAsync(17_000);
    // From the nudge at 3 s: the cold delays 500, 750, 1125, 1688, 2532 while they come before the plan's polls,
    // then the plan's polls (and past its end, one per second).
    const planned: number[] = [];
    for (let t = nextPollAt(plan, 9595); t <= 20_000; t = nextPollAt(plan, t)) planned.push(t);
    expect(planned[0]).toBe(plan.times[0]);
    expect(r.times()).toEqual([3500, 4250, 5375, 7063, 9595, ...planned]);
  });

  it('counts a job that began before the watch from its created_at', async () => {
    const model = warmModel();
    // A relative target: the gap past the plan grows with the job's age, so the age shows in the delays.
    const source = adaptivePoll(model, { targetDelayMs: 500, targetDelay: 0.5 });
    const plan = model.plan('response', source.planOptions)!;
    // Created 9 s before the watch (created_at is whole seconds: the watch guesses 8.5 s).
    vi.setSystemTime(9000);
    const r = run(source, ['in_progress']);
    withFields(r.ctx, () => ({ created_at: 0 }));
    r.start();
    await vi.advanceTimersByTimeAsync(60_000);
    // The first poll follows the plan for a job of age 0 (nothing is known yet); the next ones, its real age.
    const [first, second] = r.times();
    expect(first).toBe(9000 + plan.times[0]!);
    const age = plan.times[0]! + 8500;
    expect(second).toBe(first! + Math.ceil(nextPollAt(plan, age) - age));
    expect(second).not.toBe(first! + nextPollAt(plan, plan.times[0]!) - plan.times[0]!);
  });

  it('validates its options at once', () => {
    const model = createDurationModel();
    expect(() => adaptivePoll(model, { targetDelayMs: -1 })).toThrow(ConfigurationError);
    expect(() => adaptivePoll(model, { webhookLoss: 2 })).toThrow(ConfigurationError);
    expect(() => adaptivePoll(model, { cold: { factor: 0 } })).toThrow(ConfigurationError);
    expect(() => adaptivePoll(model, { maxRetries: -1 })).toThrow(ConfigurationError);
    const source = adaptivePoll(model);
    expect(source.name).toBe('poll');
    expect(source.target).toEqual({ targetDelayMs: 2000, targetDelay: 0.1, coverage: 0.95 });
    expect(source.planOptions).toMatchObject({ minGapMs: 100, webhookLoss: 1 });
  });
});

describe('adaptivePoll: learning', () => {
  it('records where each finished job ended, under its group and its kind', async () => {
    const model = createDurationModel();
    const source = adaptivePoll(model, { cold: { jitter: 'none' } });
    // Polls at 500, 1250, 2375, 4063: the job is seen running at 2375 and done at 4063.
    const r = run(source, ['queued', 'in_progress', 'in_progress', 'completed']);
    withFields(r.ctx, () => ({ model: 'gpt-4o-mini' }));
    r.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(r.events.map((e) => e.status)).toEqual(['queued', 'in_progress', 'in_progress', 'completed']);
    expect(model.samples('response:gpt-4o-mini')).toEqual([[2375, 4063]]);
    expect(model.samples('response')).toEqual([[2375, 4063]]);
  });

  it("narrows the interval with the job's own timestamps", async () => {
    const model = createDurationModel();
    const source = adaptivePoll(model, { cold: { jitter: 'none' } });
    const r = run(source, ['in_progress', 'in_progress', 'in_progress', 'completed']);
    // Created at 0 s; completed_at says second 3: the job ended within 1 s of 3 s.
    withFields(r.ctx, (status) => ({
      created_at: 0,
      ...(status === 'completed' ? { completed_at: 3 } : {}),
    }));
    r.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(model.samples('response')).toEqual([[2375, 4000]]);
  });

  it('learns nothing from a cancel, with learn: false, or from a job already over long before the watch', async () => {
    const model = createDurationModel();
    const cancelled = run(adaptivePoll(model), ['in_progress', 'cancelled']);
    cancelled.start();
    const quiet = run(adaptivePoll(model, { learn: false }), ['in_progress', 'completed']);
    quiet.start();
    await vi.advanceTimersByTimeAsync(10_000);
    vi.setSystemTime(100_000);
    const late = run(adaptivePoll(model), ['completed']);
    withFields(late.ctx, () => ({ created_at: 10 }));
    late.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(late.events).toHaveLength(1);
    expect(model.keys()).toEqual([]);
  });
});

describe('adaptive helpers', () => {
  it('durationKey: the kind, plus the model, assistant or endpoint once known', () => {
    expect(durationKey({ kind: 'response', id: 'r' }, undefined)).toBe('response');
    expect(durationKey({ kind: 'response', id: 'r' }, { model: 'gpt-4o' })).toBe('response:gpt-4o');
    expect(durationKey({ kind: 'batch', id: 'b' }, { endpoint: '/v1/responses' })).toBe(
      'batch:/v1/responses',
    );
    expect(
      durationKey(
        { kind: 'assistants.run', threadId: 't', runId: 'r' },
        { assistant_id: 'asst_1', model: 'x' },
      ),
    ).toBe('assistants.run:asst_1');
    expect(durationKey({ kind: 'response', id: 'r' }, { model: '' })).toBe('response');
  });

  it('serverDurationMs and durationInterval', () => {
    expect(serverDurationMs({ created_at: 10, completed_at: 14 })).toBe(4000);
    expect(serverDurationMs({ created_at: 10, failed_at: 11 })).toBe(1000);
    expect(serverDurationMs({ created_at: 10, completed_at: null })).toBeUndefined();
    expect(serverDurationMs(null)).toBeUndefined();
    expect(durationInterval(2000, 8000)).toEqual([2000, 8000]);
    expect(durationInterval(2000, 8000, 4000)).toEqual([3000, 5000]);
    expect(durationInterval(2000, 8000, 7500)).toEqual([6500, 8000]);
    // Disagreeing clocks: the observation wins.
    expect(durationInterval(2000, 8000, 20_000)).toEqual([2000, 8000]);
  });
});
