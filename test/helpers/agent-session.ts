import type OpenAI from 'openai';
import type { Response } from 'openai/resources/responses/responses';
import type { AgentSession } from '../../src/kinds/agent-session/types.js';

// Requests that only openai 7's resources type (`beta.agents.sessions`, `background_options`), sent through the
// client's generic methods so that the tests compile and run with openai 6 as well (.ci/run's openai 6 leg).

const BETA = { 'OpenAI-Beta': 'agents=v1' };

/** `client.beta.agents.sessions.create(body)`. */
export function createAgentSession(client: OpenAI, body: Record<string, unknown>): Promise<AgentSession> {
  return client.post<AgentSession>('/agents/sessions', { body, headers: BETA });
}

/** `client.beta.agents.sessions.retrieve(id)`. */
export function retrieveAgentSession(client: OpenAI, id: string): Promise<AgentSession> {
  return client.get<AgentSession>(`/agents/sessions/${id}`, { headers: BETA });
}

/** `client.responses.create(body)` with fields openai 6 does not type (`background_options`). */
export function createResponse(client: OpenAI, body: Record<string, unknown>): Promise<Response> {
  return client.post<Response>('/responses', { body });
}
