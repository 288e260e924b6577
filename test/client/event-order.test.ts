import { describe, expect, it } from 'vitest';
import { isNewerEventId, snapshotEventId } from '../../src/client/event-order.js';

const at = 1_733_480_000_000;

describe('snapshotEventId', () => {
  it('orders a watch by state, then progress within the state, then time, then the end', () => {
    const ids = [
      snapshotEventId({ state: 'queued', at, done: false }),
      snapshotEventId({ state: 'in_progress', at: at + 5, done: false, textLength: 0 }),
      snapshotEventId({ state: 'in_progress', at: at + 9, done: false, textLength: 12 }),
      snapshotEventId({ state: 'requires_action', at: at + 20, done: false, textLength: 12 }),
      snapshotEventId({ state: 'completed', at: at + 30, done: true, textLength: 40 }),
    ];
    for (let i = 1; i < ids.length; i++) {
      expect(isNewerEventId(ids[i]!, ids[i - 1]!), `${ids[i]} after ${ids[i - 1]}`).toBe(true);
      expect(isNewerEventId(ids[i - 1]!, ids[i]!)).toBe(false);
    }
    expect(isNewerEventId(ids[2]!, ids[2]!)).toBe(false);
  });

  it("counts progress by its done, whatever the kind's own counts (a batch's, an eval run's, a fine-tune's steps)", () => {
    const within = (progress: { done?: number; completed?: number; failed?: number }) =>
      snapshotEventId({ state: 'in_progress', at, done: false, progress }).split('.')[1];
    expect(within({ done: 4, completed: 3, failed: 1 })).toBe('4');
    // Without done (ids made before every progress had one): completed + failed, as before.
    expect(within({ completed: 3, failed: 1 })).toBe('4');
    // A fine-tune's steps and an eval run's items have no completed: done alone orders them.
    expect(within({ done: 7 })).toBe('7');
    const step = (done: number) =>
      snapshotEventId({ state: 'in_progress', at, done: false, progress: { done } });
    expect(isNewerEventId(step(7), step(6))).toBe(true);
    expect(isNewerEventId(step(6), step(7))).toBe(false);
  });

  it('puts a fresh watch of the same job, later in time, before what the reader has: nothing goes back', () => {
    const had = snapshotEventId({ state: 'in_progress', at, done: false, textLength: 200 });
    // A new watch starts queued, and a replayed stream starts its text from nothing.
    expect(isNewerEventId(snapshotEventId({ state: 'queued', at: at + 1_000, done: false }), had)).toBe(
      false,
    );
    expect(
      isNewerEventId(
        snapshotEventId({ state: 'in_progress', at: at + 1_000, done: false, textLength: 5 }),
        had,
      ),
    ).toBe(false);
    expect(
      isNewerEventId(
        snapshotEventId({ state: 'in_progress', at: at + 1_500, done: false, textLength: 205 }),
        had,
      ),
    ).toBe(true);
  });

  it('counts a batch by its requests done', () => {
    const a = snapshotEventId({
      state: 'in_progress',
      at,
      done: false,
      progress: { completed: 3, failed: 1 },
    });
    const b = snapshotEventId({
      state: 'in_progress',
      at,
      done: false,
      progress: { completed: 4, failed: 1 },
    });
    expect(isNewerEventId(b, a)).toBe(true);
  });

  it('treats a Last-Event-ID it did not make as nothing seen, and an unknown id as never newer', () => {
    const id = snapshotEventId({ state: 'queued', at, done: false });
    expect(isNewerEventId(id, 'abc')).toBe(true);
    expect(isNewerEventId(id, undefined)).toBe(true);
    expect(isNewerEventId('abc', id)).toBe(false);
  });
});
