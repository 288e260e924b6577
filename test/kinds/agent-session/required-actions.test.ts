import { describe, expect, it } from 'vitest';
import {
  APPROVAL_TOOLS,
  answerEvents,
  requiredToolCalls,
} from '../../../src/kinds/agent-session/required-actions.js';
import { agentSession } from '../../../src/kinds/agent-session/spec.js';
import type { AgentSession, SessionTurn } from '../../../src/kinds/agent-session/types.js';

// Pure mapping between a session's required actions (as openai 7.60 types them) and runstate's tool calls.

const actions: AgentSession['required_actions'] = [
  {
    type: 'function_call',
    call_id: 'call_1',
    turn_id: 'turn_1',
    name: 'get_weather',
    arguments: { city: 'Paris' },
  },
  { type: 'function_call', call_id: 'call_2', turn_id: 'turn_1', name: 'raw', arguments: '{"a":1}' },
  {
    type: 'mcp_approval_request',
    request_id: 'mcpr_1',
    turn_id: 'turn_1',
    request: { type: 'mcp_tool_call', server_label: 'git', name: 'push', arguments: {}, message: 'Push?' },
  },
  {
    type: 'computer_use_approval_request',
    request_id: 'cuar_1',
    turn_id: 'turn_1',
    request: { type: 'browser_origin_access', origin: 'https://example.com', reason: null },
  },
  {
    type: 'computer_use_approval_request',
    request_id: 'cuar_2',
    turn_id: 'turn_1',
    request: {
      type: 'browser_authentication',
      credential_origin: null,
      fields: [],
      options: [],
      reason: null,
    },
  },
  { type: 'environment_connection', environment_id: 'env_1' },
];

describe('required actions', () => {
  it('become tool calls: function calls by call_id, approvals under names no function can have', () => {
    expect(requiredToolCalls({ required_actions: actions })).toEqual([
      { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'call_2', name: 'raw', arguments: '{"a":1}' },
      {
        id: 'mcpr_1',
        name: APPROVAL_TOOLS.mcp,
        arguments: JSON.stringify(actions[2]!.type === 'mcp_approval_request' ? actions[2]!.request : null),
      },
      {
        id: 'cuar_1',
        name: APPROVAL_TOOLS.computerUse,
        arguments: expect.stringContaining('browser_origin_access'),
      },
      {
        id: 'cuar_2',
        name: APPROVAL_TOOLS.computerUse,
        arguments: expect.stringContaining('browser_authentication'),
      },
      { id: 'environment:env_1', name: APPROVAL_TOOLS.environment, arguments: '{"environment_id":"env_1"}' },
    ]);
    for (const name of Object.values(APPROVAL_TOOLS)) expect(name).not.toMatch(/^[a-zA-Z0-9_-]+$/);
  });

  it('are answered by input events in their turn; what is no longer pending, or cannot be answered, is left out', () => {
    const events = answerEvents({ required_actions: actions }, [
      { tool_call_id: 'call_1', output: '{"sky":"clear"}' },
      { tool_call_id: 'mcpr_1', output: 'approve' },
      { tool_call_id: 'cuar_1', output: 'nonsense' },
      { tool_call_id: 'cuar_2', output: '{"type":"browser_authentication","action":"submit","fields":[]}' },
      { tool_call_id: 'environment:env_1', output: 'x' },
      { tool_call_id: 'call_gone', output: 'late' },
    ]);
    expect(events).toEqual([
      {
        type: 'agent.session.input.tool_result',
        call_id: 'call_1',
        turn_id: 'turn_1',
        success: true,
        output: '{"sky":"clear"}',
      },
      {
        type: 'agent.session.input.mcp_approval_request_result',
        request_id: 'mcpr_1',
        response: { type: 'mcp_tool_call', decision: 'approve' },
      },
      // A decision that is not one denies.
      {
        type: 'agent.session.input.computer_use_approval_request_result',
        request_id: 'cuar_1',
        response: { type: 'browser_origin_access', decision: 'deny' },
      },
      {
        type: 'agent.session.input.computer_use_approval_request_result',
        request_id: 'cuar_2',
        response: { type: 'browser_authentication', action: 'submit', fields: [] },
      },
    ]);
  });

  it('map statuses and webhook types onto one turn', () => {
    expect(['in_progress', 'requires_action', 'idle', 'failed'].map(agentSession.mapStatus)).toEqual([
      'in_progress',
      'requires_action',
      // An idle session does not say how its turn ended: unknown until its latest turn is read.
      undefined,
      'failed',
    ]);
    // The latest turn of an idle session, as a read attaches it (`last_turn`).
    const idle = (turn: SessionTurn | null | undefined): AgentSession => ({
      id: 'sess_1',
      object: 'agent.session',
      status: 'idle',
      created_at: 1,
      last_active_at: 2,
      required_actions: [],
      error: null,
      metadata: {},
      agent: { id: 'agent_1', model: 'gpt-5' },
      ...(turn === undefined ? {} : { last_turn: turn }),
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
    const read = (job: AgentSession) => agentSession.mapStatus(agentSession.status(job));
    expect(read(idle(turn('completed')))).toBe('completed');
    expect(read(idle(turn('cancelled')))).toBe('cancelled');
    expect(read(idle(turn('failed')))).toBe('failed');
    expect(read(idle(turn('queued')))).toBe('in_progress');
    expect(read(idle(null))).toBeUndefined();
    expect(read(idle(undefined))).toBeUndefined();
    expect(agentSession.webhookStatus('agent.session.action_required')).toBe('requires_action');
    expect(agentSession.webhookStatus('agent.session.idle')).toBe('idle');
    expect(agentSession.webhookStatus('agent.session.created')).toBeUndefined();
    expect(agentSession.webhookStatus('agent.environment.ready')).toBeUndefined();
    expect(agentSession.refProblem({ kind: 'agent.session', sessionId: '' })).toBe(
      'needs non-empty string ids',
    );
  });
});
