import type OpenAI from 'openai';
import type { JobKind, JobRef, RunState } from '../../model/types.js';
import type { Scenario } from '../../sim/index.js';
import type { ToolHandlers } from '../../tools/tools.js';

/** The ways a demo job can end, each scripted in the simulator and expected from the watch. */
export interface Fate {
  /** Also the name of its simulator scenario (`metadata.sim_scenario`). */
  name: string;
  /** What the live view and the summary call it. */
  label: string;
  kind: JobKind;
  scenario: Scenario;
  /** The state the watch should end in. */
  expect: RunState;
  /** The watch gives up after this long (simulated ms); default the demo's. */
  maxWaitMs?: number;
}

/** How long a run has to answer its tool calls before it expires, in simulated ms. */
const RUN_EXPIRY_MS = 60_000;

/** A dozen jobs cycle through these. Times are simulated ms (the demo's clock runs faster than real time). */
export const FATES: readonly Fate[] = [
  {
    name: 'completed',
    label: 'completed',
    kind: 'response',
    expect: 'completed',
    scenario: { phases: { queued: [500, 2000], in_progress: [5000, 25_000] }, outcome: 'completed' },
  },
  {
    name: 'tool_calls',
    label: 'two tool calls',
    kind: 'assistants.run',
    expect: 'completed',
    scenario: {
      phases: { queued: [500, 1500], in_progress: [3000, 10_000] },
      toolCalls: [
        [
          { name: 'get_weather', arguments: { city: 'Paris' } },
          { name: 'get_time', arguments: { timezone: 'Europe/Paris' } },
        ],
      ],
      outcome: 'completed',
    },
  },
  {
    name: 'failed',
    label: 'failed',
    kind: 'response',
    expect: 'failed',
    scenario: {
      phases: { queued: [500, 1500], in_progress: [4000, 15_000] },
      outcome: 'failed',
      error: { code: 'server_error', message: 'The model backend stopped responding' },
    },
  },
  {
    name: 'expired_tools',
    label: 'expired waiting for tools',
    kind: 'assistants.run',
    expect: 'expired',
    scenario: {
      phases: { queued: [500, 1500], in_progress: [2000, 6000] },
      // No handler for this tool: the run waits for a human, and expires.
      toolCalls: [[{ name: 'approve_refund', arguments: { order: 'A-1042', amount_eur: 120 } }]],
      expiresAfterMs: RUN_EXPIRY_MS,
    },
  },
  {
    name: 'cancelled',
    label: 'cancelled',
    kind: 'batch',
    expect: 'cancelled',
    scenario: {
      phases: { validating: [1000, 3000], in_progress: [8000, 20_000], cancelling: [2000, 5000] },
      outcome: 'cancelled',
    },
  },
  {
    name: 'timed_out',
    label: 'timed out',
    kind: 'response',
    expect: 'timed_out',
    // Runs for half an hour; the watch gives up after 90 s and leaves it running.
    maxWaitMs: 90_000,
    scenario: { phases: { queued: 1000, in_progress: 30 * 60_000 }, outcome: 'completed' },
  },
];

/** The simulator's named scenarios, one per fate. */
export const FATE_SCENARIOS: Readonly<Record<string, Scenario>> = Object.fromEntries(
  FATES.map((f) => [f.name, f.scenario]),
);

/** One field of a tool call's parsed JSON arguments, which reach a handler without a schema as `unknown`. */
function field(args: unknown, name: string): string {
  return String((args as Record<string, unknown> | null)?.[name]);
}

/** Tool handlers the demo runs for `requires_action` (there is deliberately none for `approve_refund`). */
export const DEMO_TOOLS: ToolHandlers = {
  get_weather: (args) => ({ city: field(args, 'city'), celsius: 18, sky: 'clear' }),
  get_time: (args) => `12:00 in ${field(args, 'timezone')}`,
};

/** Creates one job scripted to meet `fate` on the simulator, through the SDK as a user would. */
export async function createFateJob(client: OpenAI, fate: Fate, assistantId: string): Promise<JobRef> {
  const metadata = { sim_scenario: fate.name };
  switch (fate.kind) {
    case 'response': {
      const r = await client.responses.create({
        model: 'gpt-4o-mini',
        input: 'Summarise the quarterly report',
        background: true,
        metadata,
      });
      return { kind: 'response', id: r.id };
    }
    case 'batch': {
      // A real input file, uploaded as a user would: the batch reads its requests' custom_ids from it.
      const lines = Array.from({ length: 5 }, (_, i) =>
        JSON.stringify({
          custom_id: `report-${i + 1}`,
          method: 'POST',
          url: '/v1/responses',
          body: { model: 'gpt-4o-mini', input: `Summarise section ${i + 1}` },
        }),
      );
      const file = await client.files.create({
        file: new File([`${lines.join('\n')}\n`], 'reports.jsonl'),
        purpose: 'batch',
      });
      const b = await client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/responses',
        completion_window: '24h',
        metadata,
      });
      return { kind: 'batch', id: b.id };
    }
    case 'assistants.run': {
      const thread = await client.beta.threads.create({
        messages: [{ role: 'user', content: 'What is the weather in Paris, and the time there?' }],
      });
      const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistantId, metadata });
      return { kind: 'assistants.run', threadId: thread.id, runId: run.id };
    }
  }
}
