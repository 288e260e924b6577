import type { SimKindSpec } from '../sim-kind.js';
import { evalRunDemo } from './demo.js';
import { evalsRoutes } from './evals.js';

/** Eval runs: they end completed, failed or canceled; they never expire nor end incomplete. */
export const evalRunSim: SimKindSpec<'eval.run'> = {
  kind: 'eval.run',
  routes: evalsRoutes,
  impossibleOutcomes: ['incomplete', 'expired'],
  filePurposes: ['evals'],
  demo: evalRunDemo,
};
