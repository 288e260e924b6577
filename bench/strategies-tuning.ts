// How the adaptive schedule's learning settings were chosen (docs/benchmarks.md, "The adaptive schedule"): each
// setting learns from six training streams per distribution, and is measured after 100 and 200 jobs (after 20 and
// 50 for `minSamples: 20`) on the strategies benchmark's runs. About a minute; prints a markdown table.
// Run: npx tsx bench/strategies-tuning.ts

import { deriveSeed, mulberry32 } from '../src/sim/scenario/random.js';
import {
  adaptivePoll,
  createDurationModel,
  type DurationModelOptions,
  type PlanOptions,
  planPolls,
} from '../src/sources/adaptive.js';
import { adaptiveDelays, planDelays, pollingStrategy } from './lib/strategies-catalog.js';
import { DISTRIBUTIONS, drawDurations } from './lib/strategies-distributions.js';
import { learnPlans } from './lib/strategies-learning.js';
import { measure } from './lib/strategies-replay.js';

const SEED = 2026;
const STREAMS = 6;

const SETTINGS: { label: string; plan?: PlanOptions; model?: DurationModelOptions; jobs?: number[] }[] = [
  { label: 'chosen: `spread` 0.25, `caution` 1.5, `minSamples` 100' },
  { label: '`spread` 0', plan: { spread: 0 } },
  { label: '`spread` 1', plan: { spread: 1 } },
  { label: '`caution` 1', model: { caution: 1 } },
  { label: '`caution` 2', model: { caution: 2 } },
  { label: '`minSamples` 20 (after 20 and 50 jobs)', model: { minSamples: 20 }, jobs: [20, 50] },
];

const rows: string[] = [];
for (const setting of SETTINGS) {
  const cells: string[] = [];
  for (const dist of DISTRIBUTIONS) {
    const durations = drawDurations(dist, 10_000, SEED, 'eval');
    const randomFor = (i: number) => mulberry32(deriveSeed(SEED, `${dist.id}:run:${i}`));
    const source = adaptivePoll(createDurationModel());
    const oracle = measure(
      pollingStrategy(
        'o',
        'o',
        planDelays(planPolls(drawDurations(dist, 20_000, SEED, 'oracle'), source.planOptions)),
      ),
      durations,
      randomFor,
    );
    const ratios: number[] = [];
    let worst = 0;
    for (const jobs of setting.jobs ?? [100, 200]) {
      let calls = 0;
      for (let stream = 0; stream < STREAMS; stream++) {
        const [plans] = learnPlans(
          source,
          dist,
          [jobs],
          SEED,
          stream,
          [{ ...source.planOptions, ...setting.plan }],
          setting.model,
        );
        const s = measure(
          pollingStrategy('a', 'a', adaptiveDelays(source, plans?.[0])),
          durations,
          randomFor,
        );
        calls += s.calls / STREAMS;
        worst = Math.max(worst, dist.long ? s.relative.p95 : s.delay.p95);
      }
      ratios.push(calls / oracle.calls);
    }
    const [lo, hi] = [Math.min(...ratios), Math.max(...ratios)];
    cells.push(
      `${lo.toFixed(2)}–${hi.toFixed(2)}×, ${dist.long ? `${(worst * 100).toFixed(0)}%` : `${(worst / 1000).toFixed(1)} s`}`,
    );
  }
  rows.push(`| ${setting.label} | ${cells.join(' | ')} |`);
  process.stderr.write(`${setting.label}: done\n`);
}
const head = [
  `| setting | ${DISTRIBUTIONS.map((d) => d.id).join(' | ')} |`,
  `| --- | ${DISTRIBUTIONS.map(() => '---').join(' | ')} |`,
];
process.stdout.write(`${[...head, ...rows].join('\n')}\n`);
