import { ToolHandlerError } from './errors/tool-handler-error.js';
import type { ToolCall, ToolOutput } from './types.js';

/** Extra context a tool handler receives with its parsed arguments. */
export interface ToolCallContext extends ToolCall {
  /** Aborts when the watch stops: pass it to anything slow the handler does. */
  signal: AbortSignal;
}

/**
 * A handler for one function tool: gets the parsed JSON arguments, returns the output (a string is sent as is,
 * anything else as JSON).
 */
// biome-ignore lint/suspicious/noExplicitAny: the arguments are whatever JSON the model produced
export type ToolHandler = (args: any, call: ToolCallContext) => unknown | Promise<unknown>;

/** Handlers by tool name. */
export type ToolHandlers = Readonly<Record<string, ToolHandler>>;

/**
 * What to do when a handler throws: `'report'` (default) submits `error: <message>` as that call's output so the
 * run goes on and the model can react; `'fail'` ends the watch with a `ToolHandlerError` and submits nothing.
 */
export type ToolErrorPolicy = 'report' | 'fail';

async function runOne(call: ToolCall, handler: ToolHandler, signal: AbortSignal): Promise<string> {
  let args: unknown;
  try {
    args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch (cause) {
    throw new ToolHandlerError(
      `tool ${call.name} (call ${call.id}) got arguments that are not JSON`,
      call.id,
      call.name,
      { cause },
    );
  }
  const out = await handler(args, { ...call, signal });
  return typeof out === 'string' ? out : JSON.stringify(out ?? null);
}

/**
 * Runs the handlers of one round of tool calls concurrently and returns every output, for one submission.
 * Handlers are looked up by name; the machine only asks when every requested tool has one.
 */
export async function runToolCalls(
  calls: readonly ToolCall[],
  handlers: ToolHandlers,
  policy: ToolErrorPolicy,
  signal: AbortSignal,
): Promise<ToolOutput[]> {
  return Promise.all(
    calls.map(async (call) => {
      const handler = handlers[call.name];
      if (!handler) throw new ToolHandlerError(`no handler for tool ${call.name}`, call.id, call.name);
      try {
        return { tool_call_id: call.id, output: await runOne(call, handler, signal) };
      } catch (cause) {
        if (policy === 'fail') {
          if (cause instanceof ToolHandlerError) throw cause;
          const message = cause instanceof Error ? cause.message : String(cause);
          throw new ToolHandlerError(
            `tool ${call.name} (call ${call.id}) threw: ${message}`,
            call.id,
            call.name,
            {
              cause,
            },
          );
        }
        const message = cause instanceof Error ? cause.message : String(cause);
        return { tool_call_id: call.id, output: `error: ${message}` };
      }
    }),
  );
}
