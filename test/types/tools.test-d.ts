// Type tests for tool handlers: `npm run typecheck` fails when the inference below regresses. Nothing here runs.
import type OpenAI from 'openai';
import { expectTypeOf } from 'vitest';
import { z } from 'zod';
import { type ToolCallContext, type ToolHandlers, tool, watchRun } from '../../src/index.js';
import type { StandardSchemaV1 } from '../../src/tools/standard-schema.js';

declare const client: OpenAI;
const job = { kind: 'assistants.run', threadId: 'thread_1', runId: 'run_1' } as const;

export function withoutASchemaArgumentsAreUnknown() {
  watchRun({
    client,
    job,
    tools: {
      lookup: (args, call) => {
        expectTypeOf(args).toEqualTypeOf<unknown>();
        expectTypeOf(call).toEqualTypeOf<ToolCallContext>();
        // The call id, the key to make a handler idempotent.
        expectTypeOf(call.id).toEqualTypeOf<string>();
        expectTypeOf(call.signal).toEqualTypeOf<AbortSignal>();
        return 'ok';
      },
    },
  });
  const tools: ToolHandlers = {
    // @ts-expect-error an annotation is a claim nothing checks: use tool(schema, handler)
    get_weather: ({ city }: { city: string }) => city,
  };
  return tools;
}

export function aSchemaTypesTheArguments() {
  const weather = tool(z.object({ city: z.string(), days: z.number().int().default(1) }), (args, call) => {
    expectTypeOf(args).toEqualTypeOf<{ city: string; days: number }>();
    expectTypeOf(call.id).toEqualTypeOf<string>();
    // @ts-expect-error not in the schema
    args.country;
    return `${args.city} for ${args.days} days`;
  });
  watchRun({ client, job, tools: { get_weather: weather, plain: () => 'x' } });

  // Any Standard Schema works, a hand-written one too.
  const even: StandardSchemaV1<unknown, number> = {
    '~standard': {
      version: 1,
      vendor: 'hand',
      validate: (v) =>
        typeof v === 'number' && v % 2 === 0 ? { value: v } : { issues: [{ message: 'odd' }] },
    },
  };
  tool(even, (n) => expectTypeOf(n).toEqualTypeOf<number>());
}

export function toolsMustBeHandlers() {
  // @ts-expect-error a tool is a handler or tool(schema, handler)
  watchRun({ client, job, tools: { f: 42 } });
  // @ts-expect-error the handler's arguments must match the schema's output
  tool(z.object({ city: z.string() }), ({ city }: { city: number }) => city);
}
