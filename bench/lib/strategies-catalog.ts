/**
 * The strategies the benchmark compares, each replayed in virtual time with the functions the real sources use
 * (`nextDelay` for backoff schedules, `adaptiveDelay` / `nextPollAt` for the learned and the oracle plans).
 */

import type { JobKind } from '../../src/model/types.js';
import {
  type AdaptivePollSource,
  adaptiveDelay,
  nextPollAt,
  type PollPlan,
} from '../../src/sources/adaptive.js';
import { type BackoffPolicy, nextDelay, resolveBackoff } from '../../src/sources/backoff.js';
import { HYBRID_FALLBACK_POLL } from '../../src/sources/hybrid.js';
import { poll } from '../../src/sources/poll.js';
import { type PollSchedule, scheduleDelay } from '../../src/sources/poll-schedule.js';
import { type DelayFn, replayFixed, replayPolling, type Strategy } from './strategies-replay.js';

/** The seed's loop: retrieve at create, then 0.5 s ×1.5 capped at 5 s, no jitter (its 60 s timeout left out). */
export const SEED_POLICY = resolveBackoff({
  initialDelayMs: 500,
  factor: 1.5,
  maxDelayMs: 5000,
  jitter: 'none',
});
/** Webhook delivery latency, uniform in this range (ms). */
export const WEBHOOK_LATENCY_MS = [200, 1000] as const;
/** Share of webhooks lost in the hybrid runs. */
export const WEBHOOK_LOSS = 0.05;

/** A delay as the poll source applies a custom one: floored at `minDelayMs`, rounded up to a whole ms. */
const asPolled = (delayMs: number, floorMs: number) =>
  Math.ceil(Math.max(floorMs, delayMs > 0 ? delayMs : floorMs));

/** Delays of a backoff policy, drawn exactly as the poll source draws them. */
export const backoffDelays =
  (policy: BackoffPolicy): DelayFn =>
  (attempt, _age, random) =>
    nextDelay(policy, attempt, { random });

/** Delays of the adaptive source with a fixed plan (undefined: cold), as `adaptivePoll` computes them. */
export const adaptiveDelays =
  (source: AdaptivePollSource, plan: PollPlan | undefined): DelayFn =>
  (attempt, age, random) =>
    asPolled(
      adaptiveDelay({ plan, cold: source.cold, attempt, ageMs: age, nudged: false, random }),
      source.cold.minDelayMs,
    );

/** Delays of a kind's poll schedule, as the poll source computes them (from the job's age). */
export const scheduleDelays =
  (schedule: PollSchedule): DelayFn =>
  (attempt, age, random) =>
    asPolled(scheduleDelay(schedule, attempt, age, random), schedule.backoff.minDelayMs);

/** Delays that follow a plan (the oracle). */
export const planDelays =
  (plan: PollPlan): DelayFn =>
  (_attempt, age) =>
    asPolled(nextPollAt(plan, age) - age, plan.minGapMs);

export function pollingStrategy(id: string, label: string, delay: DelayFn, immediate = false): Strategy {
  return { id, label, replay: (d, random) => replayPolling(d, delay, random, { immediate }) };
}

export const naive: Strategy = {
  id: 'naive',
  label: 'naive 100 ms loop',
  replay: (d) => replayFixed(d, 100, true),
};

export const seed: Strategy = pollingStrategy(
  'seed',
  "seed's loop (at create, 0.5 s ×1.5, cap 5 s)",
  backoffDelays(SEED_POLICY),
  true,
);

export const sdk: Strategy = {
  id: 'sdk',
  label: 'SDK `runs.poll` (5 s)',
  replay: (d) => replayFixed(d, 5000, true),
};

/** `poll()` with no options, for a job of `kind`: the benchmark's short runs are responses, its batches batches. */
export const defaultPoll = (kind: JobKind): Strategy =>
  pollingStrategy('default', `runstate \`poll()\` default (${kind})`, scheduleDelays(poll().schedules[kind]));

/** The default before issue 13: the seed's numbers without jitter for every kind. */
export const previousDefault: Strategy = pollingStrategy(
  'default-before',
  'runstate `poll()` default before, every kind (0.5 s ×1.5, cap 5 s)',
  backoffDelays(poll().policy),
);

const latency = (random: () => number) =>
  WEBHOOK_LATENCY_MS[0] + random() * (WEBHOOK_LATENCY_MS[1] - WEBHOOK_LATENCY_MS[0]);

export const webhook: Strategy = {
  id: 'webhook',
  label: "webhook (fetch: 'when-needed')",
  replay: (d, random) => ({ calls: 0, detectedAt: d + latency(random), lastRunningAt: undefined }),
};

/** Webhooks with a share lost, and a fallback poll restarted by none of them (only terminal webhooks exist). */
export function hybridStrategy(id: string, label: string, fallback: DelayFn, loss = WEBHOOK_LOSS): Strategy {
  return {
    id,
    label,
    replay: (d, random) => {
      const lost = random() < loss;
      const webhookAt = lost ? Number.POSITIVE_INFINITY : d + latency(random);
      return { ...replayPolling(d, fallback, random, { webhookAt }), lost };
    },
  };
}

/** `hybrid(hub)`'s default fallback for a job of `kind`. */
export const hybridDefault = (kind: JobKind): Strategy =>
  hybridStrategy(
    'hybrid',
    `hybrid, 5% webhooks lost (\`HYBRID_FALLBACK_POLL\`, ${kind})`,
    scheduleDelays(poll(HYBRID_FALLBACK_POLL).schedules[kind]),
  );

/** The fallback before issue 13: 30 s, ×2, capped at 5 min, equal jitter, for every kind. */
export const hybridBefore: Strategy = hybridStrategy(
  'hybrid-before',
  'hybrid, 5% lost, fallback before (30 s ×2, cap 5 min, equal jitter)',
  backoffDelays(resolveBackoff({ initialDelayMs: 30_000, factor: 2, maxDelayMs: 300_000, jitter: 'equal' })),
);
