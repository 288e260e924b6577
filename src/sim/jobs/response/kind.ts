import type { SimKindSpec } from '../sim-kind.js';
import { responseDemo } from './demo.js';
import { responsesRoutes } from './responses.js';

/** Background responses: they never expire on the server (the watcher's timeout is all there is). */
export const responseSim: SimKindSpec<'response'> = {
  kind: 'response',
  routes: responsesRoutes,
  impossibleOutcomes: ['expired'],
  demo: responseDemo,
};
