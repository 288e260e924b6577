import type { SimKindSpec } from '../sim-kind.js';
import { responseDemo } from './demo.js';
import { responsesRoutes } from './responses.js';

/**
 * Background responses. None reaches `expired`: one that misses a discounted completion window ends `failed`
 * (response-job.ts says why).
 */
export const responseSim: SimKindSpec<'response'> = {
  kind: 'response',
  routes: responsesRoutes,
  impossibleOutcomes: ['expired'],
  demo: responseDemo,
};
