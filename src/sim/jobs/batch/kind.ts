import type { SimKindSpec } from '../sim-kind.js';
import { batchesRoutes } from './batches.js';
import { batchDemo } from './demo.js';

/** Batches: they end expired, never incomplete. */
export const batchSim: SimKindSpec<'batch'> = {
  kind: 'batch',
  routes: batchesRoutes,
  impossibleOutcomes: ['incomplete'],
  filePurposes: ['batch'],
  demo: batchDemo,
};
