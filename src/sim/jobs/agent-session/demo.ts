import type { KindDemo } from '../sim-kind.js';

/**
 * The demo's agent sessions: a turn whose function call the demo answers, one that waits for an approval, one that
 * fails. Three, so that the demo's dozen jobs show every fate once (six of the first kinds, one of each of the
 * next three, three sessions) and its sources keep their even split.
 */
export const agentSessionDemo: KindDemo = {
  fates: [
    {
      name: 'session_tool',
      label: 'a turn with a function call',
      expect: 'completed',
      scenario: {
        phases: { in_progress: [2000, 6000] },
        toolCalls: [[{ name: 'get_weather', arguments: { city: 'Paris' } }]],
        outcome: 'completed',
      },
    },
    {
      name: 'session_approval',
      label: 'a turn waiting for an MCP approval',
      expect: 'timed_out',
      scenario: {
        phases: { in_progress: [2000, 6000] },
        // Never answered silently: with no `approvals` handler the turn waits for the user, and the watch gives up.
        toolCalls: [[{ name: 'delete_branch', type: 'mcp_approval', arguments: { branch: 'main' } }]],
      },
      maxWaitMs: 60_000,
    },
    {
      name: 'session_failed',
      label: 'a turn that fails',
      expect: 'failed',
      scenario: { phases: { in_progress: [2000, 6000] }, outcome: 'failed' },
    },
  ],
  async create(client, metadata) {
    // Through the client's generic post: openai 6, which the peer range accepts, has no `beta.agents`.
    const session = await client.post<{ id: string }>('/agents/sessions', {
      body: {
        environment: { type: 'none' },
        agent: { model: 'gpt-5' },
        input: 'What is the weather in Paris?',
        metadata,
      },
      headers: { 'OpenAI-Beta': 'agents=v1' },
    });
    return { kind: 'agent.session', sessionId: session.id };
  },
};
