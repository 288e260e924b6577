import type { AgentSession, SessionTurn } from './types.js';

/**
 * The events of `sessions.events.stream` that runstate reads (openai 7.60's `AgentSessionEvent` has many more:
 * text deltas, items, environments, sub-agents; those pass by).
 */
export type SessionStreamEvent =
  | {
      type:
        | 'agent.session.in_progress'
        | 'agent.session.requires_action'
        | 'agent.session.idle'
        | 'agent.session.failed';
      event_id: string;
      session: AgentSession;
    }
  | {
      type:
        | 'agent.session.turn.created'
        | 'agent.session.turn.in_progress'
        | 'agent.session.turn.completed'
        | 'agent.session.turn.cancelled'
        | 'agent.session.turn.failed';
      event_id: string;
      turn_id: string;
      turn: SessionTurn;
    }
  | { type: string; event_id?: string };

const TURN_ENDS = new Set([
  'agent.session.turn.completed',
  'agent.session.turn.cancelled',
  'agent.session.turn.failed',
]);
const TURN_STARTS = new Set(['agent.session.turn.created', 'agent.session.turn.in_progress']);
const SESSION_STATUS = new Set([
  'agent.session.in_progress',
  'agent.session.requires_action',
  'agent.session.failed',
]);

/**
 * A reader of one watch's stream: each session status event is the session it carries. `agent.session.idle` does
 * not say how the turn ended; the turn's own end event (`turn.completed`, `.cancelled`, `.failed`), which the API
 * sends before it, does: the idle session is read with that turn as its `last_turn`, as a retrieve reads it. An
 * idle event without that turn's end seen on this connection (it came before the connection) takes a read.
 */
export function sessionStreamReader(): (event: unknown) => { job: AgentSession } | 'read' | undefined {
  let ended: SessionTurn | undefined;
  return (raw) => {
    const event = raw as SessionStreamEvent;
    if (typeof event?.type !== 'string') return undefined;
    if (TURN_STARTS.has(event.type)) {
      ended = undefined;
      return undefined;
    }
    if (TURN_ENDS.has(event.type) && 'turn' in event) {
      ended = event.turn;
      return undefined;
    }
    if (!('session' in event)) return undefined;
    if (SESSION_STATUS.has(event.type)) return { job: event.session };
    if (event.type !== 'agent.session.idle') return undefined;
    return ended ? { job: { ...event.session, last_turn: ended } } : 'read';
  };
}
