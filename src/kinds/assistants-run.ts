import type { Run } from 'openai/resources/beta/threads/runs/runs';
import type { JobRef, JobState, KindAdapter, ToolCall } from '../model/types.js';
import { requestOptions, secondsToMs } from './request-options.js';

const STATES: Record<Run['status'], JobState> = {
  queued: 'queued',
  in_progress: 'in_progress',
  requires_action: 'requires_action',
  cancelling: 'cancelling',
  cancelled: 'cancelled',
  failed: 'failed',
  completed: 'completed',
  incomplete: 'incomplete',
  expired: 'expired',
};

function ids(ref: JobRef): { threadId: string; runId: string } {
  if (ref.kind !== 'assistants.run') throw new TypeError(`not an assistants.run: ${ref.kind}`);
  return ref;
}

/**
 * Assistants thread runs (`client.beta.threads.runs`). OpenAI shut the Assistants API down on 2026-08-26; this
 * adapter serves compatible servers and the simulator.
 */
export const assistantsRun: KindAdapter<Run> = {
  kind: 'assistants.run',
  jobId: (ref) => ids(ref).runId,
  describe(ref) {
    const { threadId, runId } = ids(ref);
    return `run ${runId} on thread ${threadId}`;
  },
  async retrieve(client, ref, options) {
    const { threadId, runId } = ids(ref);
    const { data, response } = await client.beta.threads.runs
      .retrieve(runId, { thread_id: threadId }, requestOptions(options))
      .withResponse();
    return { job: data, headers: response.headers };
  },
  async cancel(client, ref, options) {
    const { threadId, runId } = ids(ref);
    const { data, response } = await client.beta.threads.runs
      .cancel(runId, { thread_id: threadId }, requestOptions(options))
      .withResponse();
    return { job: data, headers: response.headers };
  },
  async submitToolOutputs(client, ref, outputs, options) {
    const { threadId, runId } = ids(ref);
    const { data, response } = await client.beta.threads.runs
      .submitToolOutputs(
        runId,
        {
          thread_id: threadId,
          tool_outputs: outputs.map((o) => ({ tool_call_id: o.tool_call_id, output: o.output })),
        },
        requestOptions(options),
      )
      .withResponse();
    return { job: data, headers: response.headers };
  },
  status: (run) => run.status,
  mapStatus: (status) => STATES[status as Run['status']],
  expiresAt: (run) => secondsToMs(run.expires_at),
  toolCalls(run): ToolCall[] {
    const calls = run.required_action?.submit_tool_outputs?.tool_calls ?? [];
    return calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
  },
  // OpenAI sends no webhooks for Assistants runs; `thread.run.*` is the simulator's documented extension.
  webhookStatus: (type) => (type.startsWith('thread.run.') ? type.slice('thread.run.'.length) : undefined),
};
