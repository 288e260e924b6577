import type { Run } from 'openai/resources/beta/threads/runs/runs';
import type { JobState, ToolCall } from '../../model/observation.js';
import { idsProblem, ownRef } from '../ref-ids.js';
import { requestOptions, secondsToMs } from '../request-options.js';
import { sameAsAge } from '../same-as-age.js';
import type { KindSpec, RefLike } from '../spec.js';
import { assistantsRunCommandLine } from './cli.js';

/** An Assistants run, by thread and run id. */
export type AssistantsRunRef = { kind: 'assistants.run'; threadId: string; runId: string };

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

const ids = (ref: RefLike): AssistantsRunRef =>
  ownRef<AssistantsRunRef>(ref, 'assistants.run', 'an assistants.run');

/** A run adds nothing to a snapshot. */
type NoExtras = Record<never, never>;

/**
 * Assistants thread runs (`client.beta.threads.runs`). OpenAI shut the Assistants API down on 2026-08-26; this
 * spec serves compatible servers and the simulator.
 */
export const assistantsRun: KindSpec<'assistants.run', AssistantsRunRef, Run, NoExtras> = {
  kind: 'assistants.run',
  cli: assistantsRunCommandLine,
  jobId: (ref) => ids(ref).runId,
  describe(ref) {
    const { threadId, runId } = ids(ref);
    return `run ${runId} on thread ${threadId}`;
  },
  refProblem: (ref) => idsProblem(ref, ['threadId', 'runId']),
  refFromJobId: (runId, threadId) => ({ kind: 'assistants.run', threadId, runId }),
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
  announced(ref, status) {
    const { threadId, runId } = ids(ref);
    return { id: runId, object: 'thread.run', thread_id: threadId, status, announced: true };
  },
  durationDetail: (job) => (job as { assistant_id?: unknown } | undefined)?.assistant_id,
  // A run expires on the server after about 10 minutes: a watch waits 15. Polled like a response.
  defaults: {
    maxWaitMs: 15 * 60_000,
    poll: { growth: { share: 0.03, maxDelayMs: 60_000 } },
    hybridPoll: sameAsAge(90_000, 60 * 60_000),
  },
  slimFields: ['id', 'object', 'status', 'thread_id', 'created_at', 'expires_at', 'required_action'],
  snapshotExtras: () => ({}),
  extrasKey: () => '',
};
