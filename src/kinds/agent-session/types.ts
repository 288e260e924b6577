// The shapes of Managed Agents sessions that runstate reads and writes, written out here rather than imported:
// openai 6, which the peer range still accepts, has no `beta.agents`. They follow openai 7.60's types
// (resources/beta/agents), and test/types/agent-session.openai7.test-d.ts checks them against those.

/** A function call the session waits for. */
export interface SessionFunctionCall {
  type: 'function_call';
  call_id: string;
  turn_id: string;
  name: string;
  arguments: unknown;
}

/** A call of a tool on an MCP server, waiting for approval. */
export interface SessionMcpApprovalRequest {
  type: 'mcp_approval_request';
  request_id: string;
  turn_id: string;
  request: {
    type: 'mcp_tool_call';
    server_label: string;
    name: string | null;
    arguments: unknown;
    message: string;
  };
}

/** A browser (computer use) asking to open an origin, or to sign in. */
export interface SessionComputerUseApprovalRequest {
  type: 'computer_use_approval_request';
  request_id: string;
  turn_id: string;
  request:
    | { type: 'browser_origin_access'; origin: string; reason: string | null }
    | {
        type: 'browser_authentication';
        credential_origin: string | null;
        fields: { id: string; label: string; required: boolean; type: string }[];
        options: { id: string; field_ids: string[]; label: string }[];
        reason: string | null;
      };
}

/** An environment the session waits to connect. */
export interface SessionEnvironmentConnection {
  type: 'environment_connection';
  environment_id: string;
}

/** One of a session's `required_actions`. */
export type RequiredAction =
  | SessionFunctionCall
  | SessionMcpApprovalRequest
  | SessionComputerUseApprovalRequest
  | SessionEnvironmentConnection;

/** A session's status: a turn works (`in_progress`), waits (`requires_action`), then `idle` or `failed`. */
export type AgentSessionStatus = 'idle' | 'in_progress' | 'requires_action' | 'failed';

/**
 * A Managed Agents session (`object: 'agent.session'`): the fields runstate reads. openai 7's `AgentSession`, which
 * has more, is assignable to it; `snapshot.job` holds the whole object the API returned.
 */
export interface AgentSession {
  id: string;
  object: 'agent.session';
  status: AgentSessionStatus;
  created_at: number;
  last_active_at: number;
  required_actions: RequiredAction[];
  error: string | null;
  metadata: Record<string, string>;
  agent: { id: string; model: string };
  /**
   * Added by runstate, not by the API: the session's latest turn (`sessions.turns.list`, newest first, one) when
   * the session reads `idle`, `null` when it has had no turn. An idle session does not say how its turn ended
   * (completed, cancelled or failed); its turn does. Absent on every other read.
   */
  last_turn?: SessionTurn | null;
}

/** A turn's status (openai 7.60's `Turn['status']`): `waiting` is a turn held by required actions. */
export type SessionTurnStatus = 'queued' | 'in_progress' | 'waiting' | 'completed' | 'failed' | 'cancelled';

/** A session's turn (`object: 'agent.session.turn'`): the fields runstate reads of openai 7's `Turn`. */
export interface SessionTurn {
  id: string;
  object: 'agent.session.turn';
  session_id: string;
  status: SessionTurnStatus;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  error: { code: string; message: string } | null;
}

/** One input event of `sessions.events.create` that runstate sends. */
export type SessionInputEvent =
  | {
      type: 'agent.session.input.tool_result';
      call_id: string;
      turn_id: string;
      success: boolean;
      output?: string | null;
      error?: string | null;
    }
  | {
      type: 'agent.session.input.mcp_approval_request_result';
      request_id: string;
      response: { type: 'mcp_tool_call'; decision: 'approve' | 'deny' | 'cancel' };
    }
  | {
      type: 'agent.session.input.computer_use_approval_request_result';
      request_id: string;
      response:
        | { type: 'browser_origin_access'; decision: 'approve' | 'deny' | 'cancel' }
        | { type: 'browser_authentication'; action: 'cancel' }
        | {
            type: 'browser_authentication';
            action: 'submit';
            fields: { field_id: string; value: string }[];
            selected_option?: string | null;
          };
    }
  | { type: 'agent.session.input.cancel' }
  | { type: 'agent.session.input.message'; input: { role: 'user'; content: unknown[]; type?: 'message' }[] };
