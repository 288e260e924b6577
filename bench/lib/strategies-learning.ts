/**
 * Warm-up of the adaptive schedule in virtual time: jobs of one distribution run one after the other through the
 * adaptive source's delays, and each one's end is recorded the way `adaptivePoll` records it (the interval between
 * the last poll that saw it running and the one that saw it end, narrowed by whole-second server timestamps).
 */

import { deriveSeed, mulberry32 } from '../../src/sim/scenario/random.js';
import {
  type AdaptivePollSource,
  createDurationModel,
  type DurationModelOptions,
  durationInterval,
  type PlanOptions,
  type PollPlan,
} from '../../src/sources/adaptive.js';
import { adaptiveDelays } from './strategies-catalog.js';
import { type DurationDistribution, drawDurations } from './strategies-distributions.js';
import { replayPolling } from './strategies-replay.js';

const KEY = 'bench';

/**
 * The plans a model learning from `dist` through `source`'s schedule would give after each checkpoint (a count of
 * finished jobs), for one training stream `replicate`: `plans[checkpoint][i]` answers `askFor[i]` (undefined:
 * still cold).
 */
export function learnPlans(
  source: AdaptivePollSource,
  dist: DurationDistribution,
  checkpoints: readonly number[],
  seed: number,
  replicate: number,
  askFor: readonly PlanOptions[] = [source.planOptions],
  modelOptions: DurationModelOptions = {},
): (PollPlan | undefined)[][] {
  const last = Math.max(...checkpoints);
  const durations = drawDurations(dist, last, seed, `train:${replicate}`);
  const model = createDurationModel(modelOptions);
  const randomFor = (i: number) => mulberry32(deriveSeed(seed, `${dist.id}:train:${replicate}:${i}`));
  const plans: (PollPlan | undefined)[][] = [];
  let n = 0;
  for (const checkpoint of checkpoints) {
    for (; n < checkpoint; n++) {
      const d = durations[n] as number;
      const random = randomFor(n);
      // The job was created somewhere within a second: its created_at and completed_at are whole seconds.
      const createdMs = random() * 1000;
      const serverMs = (Math.floor((createdMs + d) / 1000) - Math.floor(createdMs / 1000)) * 1000;
      const plan = model.plan(KEY, source.planOptions);
      const r = replayPolling(d, adaptiveDelays(source, plan), random);
      const [after, by] = durationInterval(r.lastRunningAt ?? 0, r.detectedAt, serverMs);
      model.recordBetween(after, by, KEY);
    }
    plans.push(askFor.map((options) => model.plan(KEY, options)));
  }
  return plans;
}
