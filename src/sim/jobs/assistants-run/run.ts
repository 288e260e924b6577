import type { Assistant } from 'openai/resources/beta/assistants';
import type { RequiredActionFunctionToolCall, Run, RunStatus } from 'openai/resources/beta/threads/runs/runs';
import type { RunStep } from 'openai/resources/beta/threads/runs/steps';
import type { IdFactory } from '../../ids.js';
import type { Random } from '../../scenario/random.js';
import { drawOutcome, sampleDuration, samplePhase } from '../../scenario/sample.js';
import type { Outcome, Scenario } from '../../scenario/scenario.js';
import { badRequest } from '../../server/errors.js';
import { type JobEvent, type SimJob, toUnix, unixIfReached } from '../job.js';
import { Plan, type Step, StepBuilder } from '../plan.js';
import { type RunStepSource, runSteps } from './run-steps.js';

const TERMINAL: ReadonlySet<string> = new Set(['cancelled', 'failed', 'completed', 'incomplete', 'expired']);
const CANCELLABLE: ReadonlySet<string> = new Set(['queued', 'in_progress', 'requires_action']);
const LAST_ERROR_CODES = ['server_error', 'rate_limit_exceeded', 'invalid_prompt'] as const;
/** "roughly 10 mins past creation" (Assistants lifecycle docs). */
export const RUN_EXPIRES_AFTER_MS = 10 * 60_000;

/** One submitted tool output, as the run keeps it. */
export interface ToolOutput {
  tool_call_id: string;
  output: string;
}

/** What a run is created from: the request, the assistant, the script and its dice. */
export interface RunInit {
  id: string;
  threadId: string;
  assistant: Assistant;
  metadata: Record<string, string> | null;
  instructions: string | null;
  model: string | null;
  scenario: Scenario;
  random: Random;
  ids: IdFactory;
  now: number;
}

/**
 * An Assistants run scripted by a scenario: queued → in_progress → (requires_action → queued → in_progress)
 * per tool round → outcome, expiring at `expires_at` whenever it has not ended by then.
 */
export class RunJob implements SimJob, RunStepSource {
  readonly kind = 'assistants.run';
  readonly id: string;
  readonly threadId: string;
  readonly assistantId: string;
  readonly createdAt: number;
  readonly plan: Plan<RunStatus>;
  /** Tool outputs accepted so far, all rounds. */
  readonly outputs: ToolOutput[] = [];
  private readonly outcome: Outcome;
  private readonly expiryMs: number;
  /** The calls of each tool round planned so far. */
  private readonly rounds: RequiredActionFunctionToolCall[][] = [];
  /** Rounds whose outputs were accepted (the status may still read `requires_action` for the last one). */
  private accepted = 0;
  /** Step ids by plan index, named the first time the step is read. */
  private readonly stepIds = new Map<number, string>();
  private replyId: string | undefined;

  constructor(private readonly init: RunInit) {
    this.id = init.id;
    this.threadId = init.threadId;
    this.assistantId = init.assistant.id;
    this.createdAt = init.now;
    this.outcome = drawOutcome(init.scenario, init.random);
    // Whole seconds, so `expires_at` (unix s) is exactly when the status flips to expired.
    this.expiryMs =
      Math.ceil((init.now + (init.scenario.expiresAfterMs ?? RUN_EXPIRES_AFTER_MS)) / 1000) * 1000;
    const [first, ...rest] = this.planFrom(init.now);
    this.plan = new Plan(first!, rest);
  }

  isTerminal(status: string): boolean {
    return TERMINAL.has(status);
  }

  /**
   * `thread.run.<status>` for every status: a simulator extension, OpenAI sends no webhooks for runs, so it is
   * delivered only to a simulator started with `runWebhooks`.
   */
  eventFor(step: Step): JobEvent {
    return {
      type: `thread.run.${step.status}`,
      data: { id: this.id, thread_id: this.threadId },
      simulatorOnly: true,
    };
  }

  /** Whether the run still holds its thread (no new messages, no new run) at `t`. */
  isActive(t: number): boolean {
    return !this.isTerminal(this.plan.statusAt(t));
  }

  /** Accepts a round of tool outputs at `t`, or throws OpenAI's 400. */
  submitToolOutputs(t: number, outputs: ToolOutput[]): void {
    const status = this.plan.statusAt(t);
    if (status !== 'requires_action') {
      throw badRequest(`Runs in status "${status}" do not accept tool outputs.`);
    }
    const round = this.roundAt(t);
    if (round < this.accepted) {
      throw badRequest(`Tool outputs for run ${this.id} were already submitted; the run is processing them.`);
    }
    const expected = (this.rounds[round] ?? []).map((c) => c.id);
    const got = outputs.map((o) => o.tool_call_id);
    const covers = expected.every((id) => got.includes(id)) && got.every((id) => expected.includes(id));
    if (!covers) {
      const list = (ids: string[]) => `[${ids.map((id) => `'${id}'`).join(', ')}]`;
      throw badRequest(
        `Expected tool outputs for call_ids ${list(expected)}, got ${list(got)}`,
        'tool_outputs',
      );
    }
    this.outputs.push(...outputs);
    this.accepted++;
    const lag = sampleDuration(this.init.scenario.submitLagMs ?? 0, this.init.random);
    this.plan.replan(t, this.planFrom(t + lag));
  }

  /** Starts cancelling at `t`, or throws OpenAI's 400 when the run cannot be cancelled. */
  cancel(t: number): void {
    const status = this.plan.statusAt(t);
    if (!CANCELLABLE.has(status)) throw badRequest(`Cannot cancel run with status '${status}'.`);
    const cancelling = samplePhase(this.init.scenario, 'cancelling', this.init.random);
    this.plan.replan(
      t,
      new StepBuilder<RunStatus>(t).enter('cancelling', cancelling).enter('cancelled').steps,
    );
  }

  /** The run as `GET /threads/{thread_id}/runs/{run_id}` returns it at `t`. */
  toRun(t: number): Run {
    const { plan, init } = this;
    const status = plan.statusAt(t);
    const { scenario } = init;
    const failed = status === 'failed';
    const code = LAST_ERROR_CODES.find((c) => c === scenario.error?.code) ?? 'server_error';
    return {
      id: this.id,
      object: 'thread.run',
      created_at: toUnix(this.createdAt),
      assistant_id: this.assistantId,
      thread_id: this.threadId,
      status,
      started_at: unixIfReached(plan, 'in_progress', t),
      expires_at: this.isTerminal(status) ? null : toUnix(this.expiryMs),
      cancelled_at: unixIfReached(plan, 'cancelled', t),
      failed_at: unixIfReached(plan, 'failed', t),
      completed_at: unixIfReached(plan, 'completed', t),
      required_action:
        status === 'requires_action'
          ? {
              type: 'submit_tool_outputs',
              submit_tool_outputs: { tool_calls: this.rounds[this.roundAt(t)] ?? [] },
            }
          : null,
      last_error: failed
        ? { code, message: scenario.error?.message ?? 'Sorry, something went wrong.' }
        : null,
      incomplete_details:
        status === 'incomplete'
          ? { reason: (scenario.incompleteReason ?? 'max_completion_tokens') as 'max_completion_tokens' }
          : null,
      model: init.model ?? init.assistant.model,
      instructions: init.instructions ?? init.assistant.instructions ?? '',
      tools: init.assistant.tools,
      metadata: init.metadata ?? {},
      usage:
        this.isTerminal(status) && status !== 'cancelled' && status !== 'expired'
          ? usage(this.outputs)
          : null,
      max_completion_tokens: null,
      max_prompt_tokens: null,
      parallel_tool_calls: true,
      response_format: 'auto',
      tool_choice: 'auto',
      truncation_strategy: { type: 'auto', last_messages: null },
      temperature: 1,
      top_p: 1,
    };
  }

  /** The run's steps at `t` (`runs.steps.list`), oldest first. */
  steps(t: number): RunStep[] {
    return runSteps(this, t, this.init.ids, this.stepIds);
  }

  toolCalls(round: number): readonly RequiredActionFunctionToolCall[] {
    return this.rounds[round] ?? [];
  }

  lastError(): RunStep.LastError | null {
    if (this.plan.final.status !== 'failed') return null;
    const code =
      this.init.scenario.error?.code === 'rate_limit_exceeded' ? 'rate_limit_exceeded' : 'server_error';
    return { code, message: this.init.scenario.error?.message ?? 'Sorry, something went wrong.' };
  }

  /** The id of the reply message, named the first time a step or the thread needs it. */
  replyMessageId(): string {
    this.replyId ??= this.init.ids.make('msg_');
    return this.replyId;
  }

  /** The reply the run adds to its thread once completed. */
  replyText(): string {
    const { reply } = this.init.scenario;
    if (reply !== undefined) return reply;
    if (this.outputs.length === 0) return 'This is a simulated reply.';
    return `Simulated reply using the tool results: ${this.outputs.map((o) => o.output).join('; ')}`;
  }

  /** Which tool round a `requires_action` status at `t` belongs to (0 for the first). */
  private roundAt(t: number): number {
    return this.plan.reachedBy(t).filter((s) => s.status === 'requires_action').length - 1;
  }

  /** Steps from `t`: queued, in_progress, then the next tool round or the outcome, capped at expiry. */
  private planFrom(t: number): Step<RunStatus>[] {
    const { scenario, random } = this.init;
    const b = new StepBuilder<RunStatus>(t)
      .enter('queued', samplePhase(scenario, 'queued', random))
      .enter('in_progress', samplePhase(scenario, 'in_progress', random));
    const round = scenario.toolCalls?.[this.accepted];
    if (round) {
      this.rounds[this.accepted] = round.map((call) => ({
        id: this.init.ids.make('call_'),
        type: 'function',
        function: {
          name: call.name,
          arguments:
            typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}),
        },
      }));
      b.enter('requires_action');
    } else if (this.outcome === 'cancelled') {
      b.enter('cancelling', samplePhase(scenario, 'cancelling', random)).enter('cancelled');
    } else if (this.outcome !== 'expired') {
      // 'expired' adds nothing: the run stays in_progress until capAt expires it.
      b.enter(this.outcome);
    }
    return b.capAt(this.expiryMs, 'expired', (s) => this.isTerminal(s));
  }
}

function usage(outputs: ToolOutput[]): Run.Usage {
  const prompt = 50 + 10 * outputs.length;
  return { prompt_tokens: prompt, completion_tokens: 20, total_tokens: prompt + 20 };
}
