import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClient } from 'bullmq';
import { instruments } from '../../telemetry/instruments.js';
import { QueueWatchesGauge } from '../../telemetry/queue-watches-gauge.js';
import type { StateTally } from '../state-tally.js';
import { gaugeLease } from './gauge-lease.js';

/** How often a worker refreshes the queue's watches in `runstate.watches.active`, by default. */
export const DEFAULT_WATCHES_GAUGE_INTERVAL_MS = 5000;

/**
 * Every `intervalMs`, takes or renews the queue's gauge lease and, while holding it, sets this process's share of
 * `runstate.watches.active` to the tally's watches by kind and state (src/telemetry/queue-watches-gauge.ts). The
 * lease lasts three intervals: a worker that died hands the gauge to another within that. Does nothing while no
 * metrics SDK is registered. `stop()` zeroes this process's share and gives the lease up.
 */
export function startWatchesGaugeLoop(
  redis: RedisClient,
  toKey: (type: string) => string,
  tally: StateTally,
  intervalMs: number,
): { stop(): Promise<void> } {
  const lease = gaugeLease(redis, toKey, randomUUID());
  const gauge = new QueueWatchesGauge();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    const counter = instruments()?.watchesActive;
    if (!counter) return gauge.sync(undefined, undefined);
    try {
      const held = await lease.hold(intervalMs * 3);
      gauge.sync(counter, held ? await tally.readKinds() : undefined);
    } catch {
      // Redis unreachable: this worker's numbers would be stale, and another may take the lease when it expires;
      // zero rather than count a watch twice.
      gauge.sync(counter, undefined);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, intervalMs);
    timer.unref?.();
  };
  running = tick().finally(schedule);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      // A tick waits on Redis, whose commands queue while it is away: a worker closing during an outage must not
      // wait for it. Its late numbers would land after the zeroing below, hence the flag checked in sync.
      await Promise.race([running.catch(() => {}), delay(1000)]);
      gauge.sync(instruments()?.watchesActive, undefined);
      gauge.close();
      await Promise.race([lease.release().catch(() => {}), delay(1000)]);
    },
  };
}
