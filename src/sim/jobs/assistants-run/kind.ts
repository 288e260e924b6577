import type { SimKindSpec } from '../sim-kind.js';
import { assistantsRoutes } from './assistants.js';
import { assistantsRunDemo } from './demo.js';

/** Assistants runs (threads, runs, run steps): every outcome is reachable. */
export const assistantsRunSim: SimKindSpec<'assistants.run'> = {
  kind: 'assistants.run',
  routes: assistantsRoutes,
  impossibleOutcomes: [],
  demo: assistantsRunDemo,
};
