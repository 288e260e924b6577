import type { SimKindSpec } from '../sim-kind.js';
import { agentSessionDemo } from './demo.js';
import { sessionsRoutes } from './sessions.js';

/**
 * Managed Agents sessions (openai 7 beta): a turn ends idle (`completed`) or `failed`; a session has no cancelled,
 * incomplete or expired status (a cancelled turn leaves the session idle).
 */
export const agentSessionSim: SimKindSpec<'agent.session'> = {
  kind: 'agent.session',
  routes: sessionsRoutes,
  impossibleOutcomes: ['incomplete', 'expired', 'cancelled'],
  demo: agentSessionDemo,
};
