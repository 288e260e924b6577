import type { ToolCall, ToolOutput } from '../../model/observation.js';
import type { AgentSession, RequiredAction, SessionInputEvent } from './types.js';

/**
 * The names under which a session's approval requests reach the `tools` handlers (and the snapshot's
 * `missingHandlers` when none is given). A colon cannot appear in a function tool's name, so they never collide
 * with one; `approvals` (in `watchRun`) fills them.
 */
export const APPROVAL_TOOLS = {
  mcp: 'approval:mcp',
  computerUse: 'approval:computer_use',
  /** An environment the session waits to connect: nothing runstate can answer, so it is the user's to do. */
  environment: 'environment:connection',
} as const;

/**
 * A session's required actions as the tool calls a watch answers: function calls by `call_id`, approval requests
 * by `request_id` under {@link APPROVAL_TOOLS} (their `arguments` are the request, as JSON), and an environment
 * connection as a call no handler can answer, so the snapshot says the turn waits for it.
 */
export function requiredToolCalls(session: Pick<AgentSession, 'required_actions'>): ToolCall[] {
  return (session.required_actions ?? []).map((action): ToolCall => {
    switch (action.type) {
      case 'function_call':
        return { id: action.call_id, name: action.name, arguments: asJson(action.arguments) };
      case 'mcp_approval_request':
        return { id: action.request_id, name: APPROVAL_TOOLS.mcp, arguments: JSON.stringify(action.request) };
      case 'computer_use_approval_request':
        return {
          id: action.request_id,
          name: APPROVAL_TOOLS.computerUse,
          arguments: JSON.stringify(action.request),
        };
      default:
        return {
          id: `environment:${action.environment_id}`,
          name: APPROVAL_TOOLS.environment,
          arguments: JSON.stringify({ environment_id: action.environment_id }),
        };
    }
  });
}

// The SDK types a function call's arguments as `unknown`: a JSON string is kept, anything else becomes one.
function asJson(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? {});
}

/**
 * The input events that answer `outputs`, for the actions still pending in `session`: a tool result per function
 * call (in its turn), an approval result per approval request. Outputs for actions no longer pending (answered
 * meanwhile) are left out: the API would refuse a second answer.
 */
export function answerEvents(
  session: Pick<AgentSession, 'required_actions'>,
  outputs: readonly ToolOutput[],
): SessionInputEvent[] {
  const events: SessionInputEvent[] = [];
  for (const output of outputs) {
    const action = (session.required_actions ?? []).find((a) => actionId(a) === output.tool_call_id);
    if (!action) continue;
    if (action.type === 'function_call') {
      events.push({
        type: 'agent.session.input.tool_result',
        call_id: action.call_id,
        turn_id: action.turn_id,
        success: true,
        output: output.output,
      });
    } else if (action.type === 'mcp_approval_request') {
      events.push({
        type: 'agent.session.input.mcp_approval_request_result',
        request_id: action.request_id,
        response: { type: 'mcp_tool_call', decision: decisionOf(output.output) },
      });
    } else if (action.type === 'computer_use_approval_request') {
      events.push({
        type: 'agent.session.input.computer_use_approval_request_result',
        request_id: action.request_id,
        response: computerUseResponse(action, output.output),
      });
    }
  }
  return events;
}

function actionId(action: RequiredAction): string {
  if (action.type === 'function_call') return action.call_id;
  if (action.type === 'environment_connection') return `environment:${action.environment_id}`;
  return action.request_id;
}

type Decision = 'approve' | 'deny' | 'cancel';

/** An approval handler's output: `approve`, `deny` or `cancel` (as is, or JSON); anything else denies. */
function decisionOf(output: string): Decision {
  const value = parse(output);
  return value === 'approve' || value === 'deny' || value === 'cancel' ? value : 'deny';
}

type ComputerUseResponse = Extract<
  SessionInputEvent,
  { type: 'agent.session.input.computer_use_approval_request_result' }
>['response'];

/**
 * A computer-use answer: an object the handler returned is sent as the response (a browser authentication's
 * fields); a decision string approves or denies an origin, and anything but an object cancels an authentication.
 */
function computerUseResponse(
  action: Extract<RequiredAction, { type: 'computer_use_approval_request' }>,
  output: string,
): ComputerUseResponse {
  const value = parse(output);
  if (typeof value === 'object' && value !== null) return value as ComputerUseResponse;
  if (action.request.type === 'browser_origin_access') {
    return { type: 'browser_origin_access', decision: decisionOf(output) };
  }
  return { type: 'browser_authentication', action: 'cancel' };
}

function parse(output: string): unknown {
  try {
    return JSON.parse(output);
  } catch {
    return output;
  }
}
