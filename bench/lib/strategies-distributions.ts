import { createRandom, deriveSeed, type Random } from '../../src/sim/scenario/random.js';

/** A distribution of job durations the strategies benchmark draws from (whole ms, like the simulator). */
export interface DurationDistribution {
  id: string;
  label: string;
  /** Short runs are judged on absolute delay; long ones (batches, fine-tunes) on delay relative to the duration. */
  long: boolean;
  /** The kind whose default schedules this distribution stands for. */
  kind: 'response' | 'batch' | 'fine_tuning.job';
  draw(random: Random): number;
}

const lognormal = (medianMs: number, sigma: number) => (random: Random) =>
  Math.max(1, Math.round(medianMs * Math.exp(sigma * random.normal())));

/** The four distributions of the issue, and a fine-tune's (issue 18). */
export const DISTRIBUTIONS: readonly DurationDistribution[] = [
  {
    id: 'lognormal-8s',
    label: 'lognormal, median 8 s, σ 0.8',
    long: false,
    kind: 'response',
    draw: lognormal(8000, 0.8),
  },
  {
    id: 'uniform-2-30s',
    label: 'uniform 2–30 s',
    long: false,
    kind: 'response',
    draw: (random) => Math.round(random.between(2000, 30_000)),
  },
  {
    id: 'bimodal',
    label: 'bimodal: 60% 3–6 s, 40% 30–120 s',
    long: false,
    kind: 'response',
    draw: (random) =>
      Math.round(random.next() < 0.6 ? random.between(3000, 6000) : random.between(30_000, 120_000)),
  },
  {
    id: 'batch',
    label: 'batch-like: lognormal, median 20 min, σ 1',
    long: true,
    kind: 'batch',
    draw: lognormal(20 * 60_000, 1),
  },
  {
    id: 'fine-tune',
    label: 'fine-tune-like: lognormal, median 40 min, σ 1',
    long: true,
    kind: 'fine_tuning.job',
    draw: lognormal(40 * 60_000, 1),
  },
];

/** `n` durations of `dist`, from a stream named by `label` (the same label gives the same durations). */
export function drawDurations(dist: DurationDistribution, n: number, seed: number, label: string): number[] {
  const random = createRandom(deriveSeed(seed, `${dist.id}:${label}`));
  return Array.from({ length: n }, () => dist.draw(random));
}
