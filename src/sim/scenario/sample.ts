import type { Random } from './random.js';
import {
  DEFAULT_PHASES,
  type Duration,
  OUTCOMES,
  type Outcome,
  type Phases,
  type Scenario,
} from './scenario.js';

/** Draws a duration in whole ms. */
export function sampleDuration(d: Duration, random: Random): number {
  if (typeof d === 'number') return Math.round(d);
  if (Array.isArray(d)) return Math.round(random.between(d[0] as number, d[1] as number));
  const spec = d as Exclude<Duration, number | readonly [number, number]>;
  switch (spec.dist) {
    case 'uniform':
      return Math.round(random.between(spec.min, spec.max));
    case 'lognormal':
      return Math.round(
        Math.min(spec.max ?? Number.POSITIVE_INFINITY, spec.median * Math.exp(spec.sigma * random.normal())),
      );
    case 'exponential':
      return Math.round(
        Math.min(spec.max ?? Number.POSITIVE_INFINITY, -spec.mean * Math.log(1 - random.next())),
      );
  }
}

/** Draws a phase's duration, falling back to {@link DEFAULT_PHASES}. */
export function samplePhase(scenario: Scenario, phase: keyof Phases, random: Random): number {
  return sampleDuration(scenario.phases?.[phase] ?? DEFAULT_PHASES[phase], random);
}

/** Resolves the scenario's outcome, drawing from weights when given. */
export function drawOutcome(scenario: Scenario, random: Random): Outcome {
  const outcome = scenario.outcome ?? 'completed';
  if (typeof outcome === 'string') return outcome;
  const total = OUTCOMES.reduce((sum, o) => sum + (outcome[o] ?? 0), 0);
  let pick = random.next() * total;
  for (const o of OUTCOMES) {
    pick -= outcome[o] ?? 0;
    if (pick < 0) return o;
  }
  return 'completed';
}
