import type { SimKindSpec } from '../sim-kind.js';
import { fineTuningJobDemo } from './demo.js';
import { fineTuningRoutes } from './fine-tuning-jobs.js';

/** Fine-tuning jobs: they end succeeded, failed or cancelled; they never expire nor end incomplete. */
export const fineTuningJobSim: SimKindSpec<'fine_tuning.job'> = {
  kind: 'fine_tuning.job',
  routes: fineTuningRoutes,
  impossibleOutcomes: ['incomplete', 'expired'],
  filePurposes: ['fine-tune'],
  demo: fineTuningJobDemo,
};
