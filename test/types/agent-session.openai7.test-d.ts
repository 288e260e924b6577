// Conformance of runstate's own agent-session shapes with openai 7's (compile time only: nothing here runs). The
// SDK types are absent from openai 6, so this file is left out of the openai 6 leg's type check
// (tsconfig.openai6.json); everything else about sessions compiles against both majors.
import type {
  AgentSessionEvent,
  AgentSessionInputParam,
  AgentSession as SdkAgentSession,
} from 'openai/resources/beta/agents/agents';
import type { Turn } from 'openai/resources/beta/agents/sessions/turns/turns';
import type {
  AgentSession,
  RequiredAction,
  SessionInputEvent,
  SessionTurn,
} from '../../src/kinds/agent-session/types.js';
import type { SimAgentSession, SimSessionTurn } from '../../src/sim/jobs/agent-session/session-job.js';
import type { SimSessionEvent } from '../../src/sim/jobs/agent-session/stream.js';

/** What the API returns, runstate can read. */
export const readsTheSdkSession = (s: SdkAgentSession): AgentSession => s;
/** Every required action the SDK types is one runstate maps. */
export const mapsEveryAction = (a: SdkAgentSession['required_actions'][number]): RequiredAction => a;
/** What the simulator serves is a session as the SDK types it. */
export const servesTheSdkSession = (s: SimAgentSession): SdkAgentSession => s;
/** What runstate sends (answers and cancels) is an input event as the SDK types it. */
export const sendsSdkEvents = (
  e: Exclude<SessionInputEvent, { type: 'agent.session.input.message' }>,
): AgentSessionInputParam => e;
/** The turn runstate reads of an idle session is the SDK's `Turn`; the simulator serves one. */
export const readsTheSdkTurn = (t: Turn): SessionTurn => t;
export const servesTheSdkTurn = (t: SimSessionTurn): Turn => t;
/** Every event the simulator streams (`sessions.events.stream`) is one of the SDK's `AgentSessionEvent`s. */
export const streamsSdkEvents = (e: SimSessionEvent): AgentSessionEvent => e;
