import { EventEmitter } from 'node:events';
import type { QueueEvents } from 'bullmq';
import { describe, expect, it } from 'vitest';
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
});
