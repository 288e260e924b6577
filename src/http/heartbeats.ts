import { interval, type SchedulerLike } from 'rxjs';

/** Stops one reader's heartbeat. */
export type StopBeating = () => void;

// Readers by period: one timer beats for every open stream of that period. A timer per stream cost about 1 KiB of
// heap each (an RxJS action and a Node timeout), a sizeable part of what an idle event stream costs
// (bench/event-streams.ts).
const groups = new Map<number, { beats: Set<() => void>; stop: () => void }>();

/**
 * Calls `beat` every `periodMs`: on one shared timer per period with the default scheduler, on the given one
 * otherwise (tests with virtual time).
 */
export function heartbeat(periodMs: number, beat: () => void, scheduler?: SchedulerLike): StopBeating {
  if (scheduler) {
    const subscription = interval(periodMs, scheduler).subscribe(beat);
    return () => subscription.unsubscribe();
  }
  let group = groups.get(periodMs);
  if (!group) {
    const beats = new Set<() => void>();
    const timer = setInterval(() => {
      for (const b of beats) b();
    }, periodMs);
    // The heartbeat alone must not keep a process alive.
    timer.unref?.();
    group = { beats, stop: () => clearInterval(timer) };
    groups.set(periodMs, group);
  }
  const { beats } = group;
  beats.add(beat);
  return () => {
    beats.delete(beat);
    if (beats.size === 0 && groups.get(periodMs) === group) {
      group?.stop();
      groups.delete(periodMs);
    }
  };
}
