import type { RunStatus } from 'openai/resources/beta/threads/runs/runs';
import type { FunctionToolCall, RunStep } from 'openai/resources/beta/threads/runs/steps';
import type { IdFactory } from '../../ids.js';
import { toUnix } from '../job.js';
import type { Plan } from '../plan.js';

/** What the steps of a run are read from: its plan, its tool rounds and the outputs accepted for them. */
export interface RunStepSource {
  readonly id: string;
  readonly threadId: string;
  readonly assistantId: string;
  readonly plan: Plan<RunStatus>;
  readonly outputs: readonly { tool_call_id: string; output: string }[];
  /** The function calls of tool round `round` (0 for the first). */
  toolCalls(round: number): readonly { id: string; function: { name: string; arguments: string } }[];
  /** The run's `last_error` when it failed. */
  lastError(): RunStep.LastError | null;
  /** The id of the message the run writes (its reply). */
  replyMessageId(): string;
}

type Ending = Pick<RunStep, 'status' | 'cancelled_at' | 'completed_at' | 'expired_at' | 'failed_at'>;

/**
 * A run's steps at `t`, oldest first, as `runs.steps.list` returns them: one `tool_calls` step per round of tool
 * calls (from `requires_action` until the outputs are taken, with each call's `output` once submitted), and one
 * `message_creation` step for the last `in_progress` phase (the reply). Steps are read from the plan, so they
 * exist from the moment the script reaches them; `ids` names each step once (cached in `stepIds`).
 */
export function runSteps(
  run: RunStepSource,
  t: number,
  ids: IdFactory,
  stepIds: Map<number, string>,
): RunStep[] {
  const { plan } = run;
  const steps: RunStep[] = [];
  const idFor = (index: number) => {
    let id = stepIds.get(index);
    if (id === undefined) {
      id = ids.make('step_');
      stepIds.set(index, id);
    }
    return id;
  };
  const outputs = new Map(run.outputs.map((o) => [o.tool_call_id, o.output]));
  let round = 0;
  for (let i = 0; i < plan.length; i++) {
    const step = plan.step(i)!;
    if (step.at > t) break;
    const next = plan.step(i + 1);
    if (step.status === 'requires_action') {
      const toolCalls: FunctionToolCall[] = run.toolCalls(round).map((call) => ({
        id: call.id,
        type: 'function',
        function: {
          name: call.function.name,
          arguments: call.function.arguments,
          output: outputs.get(call.id) ?? null,
        },
      }));
      round++;
      steps.push({
        ...base(run, idFor(i), step.at, 'tool_calls'),
        step_details: { type: 'tool_calls', tool_calls: toolCalls },
        // Outputs taken: the run left requires_action for queued.
        ...ending(plan, i, t, run, (s) => (s === 'queued' ? 'completed' : undefined)),
      });
    } else if (step.status === 'in_progress' && next?.status !== 'requires_action') {
      steps.push({
        ...base(run, idFor(i), step.at, 'message_creation'),
        step_details: { type: 'message_creation', message_creation: { message_id: run.replyMessageId() } },
        ...ending(plan, i, t, run, (s) =>
          s === 'completed' || s === 'incomplete' ? 'completed' : undefined,
        ),
      });
    }
  }
  return steps;
}

function base(run: RunStepSource, id: string, at: number, type: RunStep['type']) {
  return {
    id,
    object: 'thread.run.step' as const,
    created_at: toUnix(at),
    assistant_id: run.assistantId,
    thread_id: run.threadId,
    run_id: run.id,
    type,
    metadata: {},
  };
}

/**
 * How the step begun at plan index `i` stands at `t`: still `in_progress` until the run's next reached status,
 * which either finishes it (`done` maps it to `completed`) or ends it with the run (cancelled, expired, failed).
 */
function ending(
  plan: Plan<RunStatus>,
  i: number,
  t: number,
  run: RunStepSource,
  done: (status: RunStatus) => 'completed' | undefined,
): Ending & Pick<RunStep, 'last_error' | 'usage'> {
  const open = {
    status: 'in_progress' as const,
    cancelled_at: null,
    completed_at: null,
    expired_at: null,
    failed_at: null,
    last_error: null,
    usage: null,
  };
  const next = plan.step(i + 1);
  if (!next || next.at > t) return open;
  const at = toUnix(next.at);
  if (done(next.status)) {
    return {
      ...open,
      status: 'completed',
      completed_at: at,
      usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 },
    };
  }
  switch (next.status) {
    case 'cancelling':
    case 'cancelled':
      return { ...open, status: 'cancelled', cancelled_at: at };
    case 'expired':
      return { ...open, status: 'expired', expired_at: at };
    case 'failed':
      return { ...open, status: 'failed', failed_at: at, last_error: run.lastError() };
    default:
      return open;
  }
}
