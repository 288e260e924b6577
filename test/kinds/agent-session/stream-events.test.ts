import { describe, expect, it } from 'vitest';
import { sessionStreamReader } from '../../../src/kinds/agent-session/stream-events.js';
import type { AgentSession, SessionTurn } from '../../../src/kinds/agent-session/types.js';

const session = (status: AgentSession['status']): AgentSession => ({
  id: 'sess_1',
  object: 'agent.session',
  status,
  created_at: 1,
  last_active_at: 2,
  required_actions: [],
  error: null,
  metadata: {},
  agent: { id: 'agent_1', model: 'gpt-5' },
});
const turn = (status: SessionTurn['status']): SessionTurn => ({
  id: 'turn_1',
  object: 'agent.session.turn',
  session_id: 'sess_1',
  status,
  created_at: 1,
  started_at: 1,
  completed_at: null,
  error: null,
});
const turnEvent = (type: string, status: SessionTurn['status']) => ({
  type,
  event_id: 'e',
  session_id: 'sess_1',
  turn_id: 'turn_1',
  turn: turn(status),
});

describe('sessionStreamReader', () => {
  it('applies the session a status event carries, and passes every other event by', () => {
    const read = sessionStreamReader();
    expect(
      read({ type: 'agent.session.in_progress', event_id: 'e', session: session('in_progress') }),
    ).toEqual({
      job: session('in_progress'),
    });
    expect(
      read({ type: 'agent.session.turn.output_text.delta', event_id: 'e', delta: 'hi' }),
    ).toBeUndefined();
    expect(read({ type: 'error', event_id: 'e', error: { message: 'x' } })).toBeUndefined();
    expect(read(null)).toBeUndefined();
  });

  it('reads an idle session with the turn whose end came before it, and asks for a read when it did not', () => {
    const read = sessionStreamReader();
    expect(read(turnEvent('agent.session.turn.cancelled', 'cancelled'))).toBeUndefined();
    expect(read({ type: 'agent.session.idle', event_id: 'e', session: session('idle') })).toEqual({
      job: { ...session('idle'), last_turn: turn('cancelled') },
    });
    // A new turn forgets the last one's end: its idle takes a read unless its own end is seen.
    read(turnEvent('agent.session.turn.created', 'queued'));
    expect(read({ type: 'agent.session.idle', event_id: 'e', session: session('idle') })).toBe('read');
    expect(
      sessionStreamReader()({ type: 'agent.session.idle', event_id: 'e', session: session('idle') }),
    ).toBe('read');
  });
});
