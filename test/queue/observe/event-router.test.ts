import { EventEmitter } from 'node:events';
import type { QueueEvents } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import type { GapCheck } from '../../../src/queue/observe/event-router.js';
import { routeByJob } from '../../../src/queue/observe/event-router.js';

// Pure routing logic: an EventEmitter stands in for BullMQ's QueueEvents (the real one is in run-queue.redis.test.ts).
describe('routeByJob', () => {
  it("hands an event to its job's handlers only, with one listener per event type", () => {
    const events = new EventEmitter();
    const router = routeByJob(events as unknown as QueueEvents);
    const seen: string[] = [];
    const stops = Array.from({ length: 1000 }, (_, i) =>
      router.on('progress', `job-${i}`, ({ data }) => seen.push(`${i}:${String(data)}`)),
    );
    router.on('completed', 'job-7', ({ returnvalue }) => seen.push(`7 done:${String(returnvalue)}`));

    events.emit('progress', { jobId: 'job-7', data: 'a' });
    events.emit('completed', { jobId: 'job-7', returnvalue: 'b' });
    events.emit('progress', { jobId: 'nobody', data: 'c' });
    expect(seen).toEqual(['7:a', '7 done:b']);
    expect(events.listenerCount('progress')).toBe(1);
    expect(events.listenerCount('completed')).toBe(1);

    stops[7]!();
    events.emit('progress', { jobId: 'job-7', data: 'd' });
    expect(seen).toEqual(['7:a', '7 done:b']);
  });

  it('keeps the other handlers of a job when one stops, even while an event is being handed out', () => {
    const events = new EventEmitter();
    const router = routeByJob(events as unknown as QueueEvents);
    const seen: string[] = [];
    const stopFirst = router.on('failed', 'j', () => {
      seen.push('first');
      stopFirst();
    });
    router.on('failed', 'j', () => seen.push('second'));
    events.emit('failed', { jobId: 'j', failedReason: 'x' });
    events.emit('failed', { jobId: 'j', failedReason: 'x' });
    expect(seen).toEqual(['first', 'second', 'second']);
  });

  it('rereads after a gap at most 32 jobs at a time, and starts no second round before the first ended', async () => {
    vi.useFakeTimers();
    try {
      const events = new EventEmitter();
      // The stream's oldest entry moves past the reader at every look: a gap each second.
      let oldest = 0;
      const redis = { runCommand: async () => [`${++oldest * 1000}-0`, `${oldest * 1000 + 500}-0`] };
      const gaps: GapCheck = {
        redis: redis as unknown as GapCheck['redis'],
        eventsKey: 'events',
        readFrom: '0-0',
      };
      const router = routeByJob(events as unknown as QueueEvents, gaps);
      let inFlight = 0;
      let most = 0;
      let reads = 0;
      const pending: (() => void)[] = [];
      for (let i = 0; i < 100; i++) {
        router.onGap(() => {
          reads++;
          inFlight++;
          most = Math.max(most, inFlight);
          return new Promise<void>((resolve) =>
            pending.push(() => {
              inFlight--;
              resolve();
            }),
          );
        });
      }
      await vi.advanceTimersByTimeAsync(1000);
      expect(reads).toBe(32);
      // Ten more seconds of gaps while the first round waits on its reads: no second round starts.
      await vi.advanceTimersByTimeAsync(10_000);
      expect(reads).toBe(32);
      while (pending.length > 0) {
        for (const done of pending.splice(0)) done();
        await vi.advanceTimersByTimeAsync(0);
      }
      expect(reads).toBe(100);
      expect(most).toBe(32);
      // The next round waits 10 s from the end of this one.
      await vi.advanceTimersByTimeAsync(9000);
      expect(reads).toBe(100);
      await vi.advanceTimersByTimeAsync(2000);
      expect(reads).toBe(132);
      router.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
