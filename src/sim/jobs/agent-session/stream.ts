import type { SseFeed, TimedEvent } from '../../server/sse.js';
import type { SessionJob, SimAgentSession, SimSessionTurn } from './session-job.js';

// The events below follow openai 7.60's `AgentSessionEvent` union (its session and turn lifecycle members);
// test/types/agent-session.openai7.test-d.ts checks each against the SDK's type.

/** A session lifecycle event: the session as it reads at that moment. */
export type SimSessionStatusEvent = {
  [T in 'in_progress' | 'requires_action' | 'idle' | 'failed']: {
    type: `agent.session.${T}`;
    event_id: string;
    session: SimAgentSession;
  };
}['in_progress' | 'requires_action' | 'idle' | 'failed'];

/** A turn that starts: created, then running. */
export type SimTurnStartEvent = {
  [T in 'created' | 'in_progress']: {
    type: `agent.session.turn.${T}`;
    event_id: string;
    session_id: string;
    turn_id: string;
    turn: SimSessionTurn;
  };
}['created' | 'in_progress'];

/** A turn that ended: completed, cancelled or failed (the only place a stream says a turn was cancelled). */
export type SimTurnEndEvent = {
  [T in 'completed' | 'cancelled' | 'failed']: {
    type: `agent.session.turn.${T}`;
    event_id: string;
    session_id: string;
    turn_id: string;
    turn: SimSessionTurn;
    usage: null;
  };
}['completed' | 'cancelled' | 'failed'];

/** One event of `sessions.events.stream` the simulator writes. */
export type SimSessionEvent = SimSessionStatusEvent | SimTurnStartEvent | SimTurnEndEvent;

type Unidentified<E> = E extends unknown ? Omit<E, 'event_id'> : never;

/**
 * The events of a session, past and planned, from its script: per turn `agent.session.turn.created` and
 * `.turn.in_progress`, then `agent.session.in_progress`, `agent.session.requires_action` per round (the session with
 * its actions), and at the end `agent.session.turn.completed` (or `.cancelled`) then `agent.session.idle`, or
 * `agent.session.turn.failed` then `agent.session.failed`. Each event's id is its place in the list (past events are
 * never renumbered: a cancel or an answer only rewrites the future).
 */
export function sessionEvents(job: SessionJob): TimedEvent[] {
  const list: { at: number; event: Unidentified<SimSessionEvent> }[] = [];
  const add = (at: number, event: Unidentified<SimSessionEvent>) => list.push({ at, event });
  const started = new Set<string>();
  for (let i = 0; i < job.plan.length; i++) {
    const { status, at } = job.plan.step(i)!;
    // A session created without input starts idle: nothing happened yet.
    if (i === 0 && status === 'idle') continue;
    const turn = job.turnAt(at);
    if (!turn) continue;
    const turnIds = { session_id: job.id, turn_id: turn.id };
    if (!started.has(turn.id)) {
      started.add(turn.id);
      add(at, { type: 'agent.session.turn.created', ...turnIds, turn: { ...turn, status: 'queued' } });
      add(at, { type: 'agent.session.turn.in_progress', ...turnIds, turn });
    }
    if (status === 'idle' || status === 'failed') {
      const end = turn.status === 'cancelled' ? 'cancelled' : status === 'failed' ? 'failed' : 'completed';
      add(at, { type: `agent.session.turn.${end}`, ...turnIds, turn, usage: null });
    }
    add(at, { type: `agent.session.${status}`, session: job.toSession(at) });
  }
  const prefix = `sevt_${job.id.slice('sess_'.length, 'sess_'.length + 16)}_`;
  return list.map(({ at, event }, i) => ({
    at,
    event: event.type,
    data: { ...event, event_id: `${prefix}${i}` },
  }));
}

/**
 * The feed `serveSse` writes for `sessions.events.stream`. The stream is live: a connection gets the events from
 * the moment it opens (the API offers no cursor to resume from), so `from` is the count of events already past.
 * The simulator closes it once the session is idle or failed with nothing planned (the API keeps it open for the
 * next turn; a reader that reconnects then reads the session, which says the same).
 */
export function sessionFeed(job: SessionJob, now: number): { feed: SseFeed; from: number } {
  const feed: SseFeed = {
    events: () => sessionEvents(job),
    ended: (t) => job.isTerminal(job.plan.statusAt(t)) && job.plan.final.at <= t,
    endsAt: () => job.plan.final.at,
    onChange: (fn) => job.onChange(fn),
  };
  return { feed, from: feed.events().filter((e) => e.at < now).length };
}
