import OpenAI from 'openai';
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors/configuration-error.js';
import { kindSpec, specFor } from '../../../src/kinds/registry.js';
import type { JobRef } from '../../../src/model/types.js';
import { nextDelay } from '../../../src/sources/backoff.js';
import { HYBRID_FALLBACK_POLL } from '../../../src/sources/hybrid.js';
import { poll, WatchSchedule } from '../../../src/sources/poll.js';
import { watchRun } from '../../../src/watch/watch-run.js';

const HOUR = 60 * 60_000;
const ref = (completionWindow?: 'soonest' | '2h' | '8h'): JobRef =>
  completionWindow
    ? { kind: 'response', id: 'resp_1', completionWindow }
    : { kind: 'response', id: 'resp_1' };
const createdAt = 1_800_000_000;
const job = (status: string) => ({ id: 'resp_1', object: 'response', status, created_at: createdAt });

/** The delay a watch of `job` waits before its scheduled retrieve, the job being `ageMs` old. */
function delayAt(source: ReturnType<typeof poll>, jobRef: JobRef, ageMs: number): number {
  const start = createdAt * 1000 + 500;
  const schedule = new WatchSchedule(source, jobRef, start);
  schedule.observe({ type: 'status', job: job('in_progress'), at: start } as never);
  const { policy, attempt } = schedule.policyFor(20, start + ageMs, () => 0.5, false);
  return nextDelay(policy, attempt, { random: () => 0.5 });
}

describe('a response with a discounted completion window', () => {
  it('has a deadline at created_at + the window while it runs, none once it ended or without a window', () => {
    const spec = specFor(ref('8h'));
    expect(spec.expiresAt(job('in_progress'))).toBe(createdAt * 1000 + 8 * HOUR);
    expect(specFor(ref('2h')).expiresAt(job('queued'))).toBe(createdAt * 1000 + 2 * HOUR);
    for (const status of ['completed', 'failed', 'cancelled', 'incomplete'])
      expect(spec.expiresAt(job(status))).toBeNull();
    // A webhook's announced object has no created_at: no deadline to derive from it.
    expect(
      spec.expiresAt({ id: 'resp_1', object: 'response', status: 'in_progress', announced: true }),
    ).toBeNull();
    for (const plain of [ref(), ref('soonest')]) {
      expect(specFor(plain)).toBe(kindSpec('response'));
      expect(specFor(plain).expiresAt(job('in_progress'))).toBeNull();
    }
  });

  it('waits the window and an hour more by default, as a batch waits its 24 h and one more', () => {
    expect(specFor(ref('2h')).defaults.maxWaitMs).toBe(3 * HOUR);
    expect(specFor(ref('8h')).defaults.maxWaitMs).toBe(9 * HOUR);
    expect(specFor(ref()).defaults.maxWaitMs).toBe(HOUR);
  });

  it("is polled like a batch by default, and with the caller's schedule when one is given", () => {
    const byDefault = poll();
    // 15% of an hour, as a batch of that age, where a plain response is polled every minute.
    expect(delayAt(byDefault, ref('8h'), HOUR)).toBe(540_000);
    expect(delayAt(byDefault, { kind: 'batch', id: 'batch_1' }, HOUR)).toBe(540_000);
    expect(delayAt(byDefault, ref(), HOUR)).toBe(60_000);
    expect(delayAt(byDefault, ref('8h'), 5 * HOUR)).toBe(30 * 60_000);
    // A schedule the caller gave is kept, window or not.
    const mine = poll({ initialDelayMs: 2000, factor: 1, maxDelayMs: 2000 });
    expect(delayAt(mine, ref('8h'), HOUR)).toBe(2000);
    const perKind = poll({ schedules: { response: { initialDelayMs: 3000, factor: 1, maxDelayMs: 3000 } } });
    expect(delayAt(perKind, ref('8h'), HOUR)).toBe(3000);
    // The hybrid's safety net follows the window too: a batch's (as often as the job is old, up to 2 h).
    const fallback = poll(HYBRID_FALLBACK_POLL);
    expect(delayAt(fallback, ref('8h'), 3 * HOUR)).toBe(2 * HOUR);
    expect(delayAt(fallback, ref(), 3 * HOUR)).toBe(HOUR);
  });

  it('refuses a window it does not know with a ConfigurationError', async () => {
    const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9' });
    const bad = { kind: 'response', id: 'resp_1', completionWindow: '24h' } as unknown as JobRef;
    expect(kindSpec('response').refProblem(bad)).toMatch(
      /completionWindow "24h": expected 'soonest', '2h' or '8h'/,
    );
    const error = await firstValueFrom(watchRun({ client, job: bad })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toMatch(/completionWindow/);
  });
});
