import { APPROVAL_TOOLS } from '../kinds/agent-session/required-actions.js';
import type { ToolCallContext, ToolHandlers } from './tools.js';

/**
 * An approval an agent session asks for (a required action that is not a function call): `mcp`, a call of a tool
 * on an MCP server (`request`: `{ server_label, name, arguments, message }`), or `computer_use`, a browser asking to
 * open an origin or to sign in (`request`: `{ type: 'browser_origin_access', origin }` or
 * `{ type: 'browser_authentication', fields, options }`). `id` is its `request_id`.
 */
export interface ApprovalRequest {
  id: string;
  kind: 'mcp' | 'computer_use';
  request: unknown;
}

/**
 * The caller's answer: `approve`, `deny` or `cancel`; for a browser sign-in, the response object itself
 * (`{ type: 'browser_authentication', action: 'submit', fields }`). Anything else denies.
 */
export type ApprovalDecision = 'approve' | 'deny' | 'cancel' | Record<string, unknown>;

/**
 * Decides an agent session's approval requests, once per `request_id`. Without one, no request is ever answered:
 * the snapshot lists them in `missingHandlers` (`approval:mcp`, `approval:computer_use`) and the turn waits for the
 * user.
 * @example approvals: (a) => (a.kind === 'mcp' && isReadOnly(a.request) ? 'approve' : 'deny')
 */
export type ApprovalHandler = (
  approval: ApprovalRequest,
  call: ToolCallContext,
) => ApprovalDecision | Promise<ApprovalDecision>;

/** The approval handler as the tool handlers the watch runs, under the names a session's approvals take. */
export function approvalTools(handler: ApprovalHandler | undefined): ToolHandlers {
  if (handler === undefined) return {};
  return {
    [APPROVAL_TOOLS.mcp]: (request, call) => handler({ id: call.id, kind: 'mcp', request }, call),
    [APPROVAL_TOOLS.computerUse]: (request, call) =>
      handler({ id: call.id, kind: 'computer_use', request }, call),
  };
}
