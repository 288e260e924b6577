import type { SimKindSpec } from '../sim-kind.js';
import { fileBatchDemo } from './demo.js';
import { fileBatchesRoutes } from './file-batches.js';

/** Vector store file batches: they end completed, failed or cancelled; no expiry, no webhooks. */
export const vectorStoreFileBatchSim: SimKindSpec<'vector_store.file_batch'> = {
  kind: 'vector_store.file_batch',
  routes: fileBatchesRoutes,
  impossibleOutcomes: ['incomplete', 'expired'],
  demo: fileBatchDemo,
};
