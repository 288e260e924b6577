import { ToolHandlerError } from '../errors/tool-handler-error.js';
import type { ToolCall, ToolOutput } from '../model/types.js';
import type { ToolRecorder } from '../telemetry/watch-telemetry.js';
import { describeIssue, isStandardSchema, type StandardSchemaV1 } from './standard-schema.js';

/**
 * The call a tool handler answers, its second argument: `id` is the `tool_call.id` (the key to make a handler
 * idempotent), with the tool's name, its raw JSON arguments and a signal.
 */
export interface ToolCallContext extends ToolCall {
  /** Aborts when the watch stops: pass it to anything slow the handler does. */
  signal: AbortSignal;
}

/**
 * A handler for one function tool: gets the parsed JSON arguments (`unknown` unless a schema types them, see
 * `tool()`) and the call, returns the output (a string is sent as is, anything else as JSON).
 */
export type ToolHandler<Args = unknown> = (args: Args, call: ToolCallContext) => unknown | Promise<unknown>;

/** A handler whose arguments a Standard Schema checks before it runs: what `tool(schema, handler)` returns. */
export interface SchemaTool<Schema extends StandardSchemaV1 = StandardSchemaV1> {
  readonly schema: Schema;
  readonly handler: ToolHandler<StandardSchemaV1.InferOutput<Schema>>;
}

/** Handlers by tool name: a plain handler (arguments `unknown`), or `tool(schema, handler)`. */
// biome-ignore lint/suspicious/noExplicitAny: each entry's schema types its own handler
export type ToolHandlers = Readonly<Record<string, ToolHandler | SchemaTool<any>>>;

/**
 * A tool handler with typed arguments: the model's JSON is parsed, then checked with `schema` (zod, valibot,
 * arktype: any Standard Schema), and the handler gets the schema's output. Arguments the schema refuses are a tool
 * error (`onToolError` decides: reported to the model, or the watch fails), and the handler does not run.
 *
 * @example
 * tools: { get_weather: tool(z.object({ city: z.string() }), async ({ city }, call) => lookup(city, call.id)) }
 */
export function tool<Schema extends StandardSchemaV1>(
  schema: Schema,
  handler: ToolHandler<StandardSchemaV1.InferOutput<Schema>>,
): SchemaTool<Schema> {
  return { schema, handler };
}

/**
 * What to do when a handler throws: `'report'` (default) submits `error: <message>` as that call's output so the
 * run goes on and the model can react; `'fail'` ends the watch with a `ToolHandlerError` and submits nothing.
 */
export type ToolErrorPolicy = 'report' | 'fail';

async function checked(call: ToolCall, schema: StandardSchemaV1, args: unknown): Promise<unknown> {
  const result = await schema['~standard'].validate(args);
  if (!result.issues) return result.value;
  throw new ToolHandlerError(
    `tool ${call.name} (call ${call.id}) got bad arguments: ${result.issues.map(describeIssue).join('; ')}`,
    call.id,
    call.name,
  );
}

async function runOne(call: ToolCall, entry: ToolHandlers[string], signal: AbortSignal): Promise<string> {
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
  const out =
    typeof entry === 'function'
      ? await entry(args, { ...call, signal })
      : await entry.handler(await checked(call, entry.schema, args), { ...call, signal });
  return typeof out === 'string' ? out : JSON.stringify(out ?? null);
}

/**
 * Runs the handler of one tool call and returns its output. Handlers are looked up by name; the machine only asks
 * when every requested tool has one. A throwing handler's message becomes the output under `'report'`; under
 * `'fail'` it rejects with a `ToolHandlerError`.
 */
export async function runToolCall(
  call: ToolCall,
  handlers: ToolHandlers,
  policy: ToolErrorPolicy,
  signal: AbortSignal,
  record?: ToolRecorder,
): Promise<ToolOutput> {
  const handler = handlers[call.name];
  if (!handler) throw new ToolHandlerError(`no handler for tool ${call.name}`, call.id, call.name);
  try {
    const run = () => runOne(call, handler, signal);
    return { tool_call_id: call.id, output: await (record ? record(call, run) : run()) };
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
}

/** Runs the handlers of one round of tool calls concurrently and returns every output, for one submission. */
export async function runToolCalls(
  calls: readonly ToolCall[],
  handlers: ToolHandlers,
  policy: ToolErrorPolicy,
  signal: AbortSignal,
  record?: ToolRecorder,
): Promise<ToolOutput[]> {
  return Promise.all(calls.map((call) => runToolCall(call, handlers, policy, signal, record)));
}

/** What is wrong with a `tools` option, as a sentence; undefined when every entry is a handler or a `tool()`. */
export function toolsProblem(tools: unknown): string | undefined {
  if (tools === undefined) return undefined;
  if (typeof tools !== 'object' || tools === null || Array.isArray(tools)) {
    return 'tools must be an object of handlers by tool name, like { get_weather: (args, call) => ... }';
  }
  for (const [name, entry] of Object.entries(tools)) {
    if (typeof entry === 'function') continue;
    const { schema, handler } = (entry ?? {}) as Partial<SchemaTool>;
    if (typeof entry === 'object' && isStandardSchema(schema) && typeof handler === 'function') continue;
    const got = entry === null ? 'null' : Array.isArray(entry) ? 'an array' : typeof entry;
    return `tools.${name} must be a handler function or tool(schema, handler) (got ${got})`;
  }
  return undefined;
}
