import type { EvalCreateResponse } from 'openai/resources/evals/evals';
import type { OutputItemListResponse } from 'openai/resources/evals/runs/output-items';
import type { RunRetrieveResponse } from 'openai/resources/evals/runs/runs';
import type { Random } from '../../scenario/random.js';
import { drawOutcome, samplePhase } from '../../scenario/sample.js';
import type { Scenario } from '../../scenario/scenario.js';
import { badRequest } from '../../server/errors.js';
import { type JobEvent, type SimJob, toUnix } from '../job.js';
import { Plan, type Step, StepBuilder } from '../plan.js';

/** An eval run's statuses (the SDK types them as a string; `canceled` has one l). */
type EvalRunStatus = 'queued' | 'in_progress' | 'completed' | 'failed' | 'canceled';

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'canceled']);
// OpenAI's webhooks say `succeeded` where the run says `completed`.
const WEBHOOK_TYPES: Partial<Record<EvalRunStatus, string>> = {
  completed: 'eval.run.succeeded',
  failed: 'eval.run.failed',
  canceled: 'eval.run.canceled',
};

/** Items a run grades when neither its data source nor the scenario (`requests`) says how many. */
const DEFAULT_ITEMS = 10;

/** Which items fail their grading: `count` spread evenly, or the given 0-based indexes. */
function failingItems(total: number, spec: number | readonly number[] | undefined): ReadonlySet<number> {
  if (spec === undefined) return new Set();
  if (typeof spec !== 'number') return new Set(spec);
  const n = Math.min(total, Math.max(0, Math.floor(spec)));
  return new Set(Array.from({ length: n }, (_, i) => Math.floor(((i + 1) * total) / n) - 1));
}

/**
 * An eval run: queued → in_progress → completed | failed | canceled. Its items are graded one by one while it
 * runs (`result_counts` moves, output items appear); a cancel ends it at once. Webhooks:
 * `eval.run.succeeded|failed|canceled`.
 */
export class EvalRunJob implements SimJob {
  readonly kind = 'eval.run';
  readonly createdAt: number;
  readonly plan: Plan<EvalRunStatus>;
  readonly total: number;
  private readonly failing: ReadonlySet<number>;
  private readonly workMs: number;
  private readonly itemIds: string[] = [];

  constructor(
    readonly id: string,
    private readonly init: {
      evaluation: EvalCreateResponse;
      name: string;
      model: string;
      dataSource: RunRetrieveResponse['data_source'];
      /** The data source's own items, when it carries them (`file_content`). */
      items: readonly Record<string, unknown>[] | undefined;
      metadata: Record<string, string> | null;
      scenario: Scenario;
      random: Random;
      makeId: () => string;
      now: number;
    },
  ) {
    const { scenario, random, now } = init;
    this.createdAt = now;
    this.total = scenario.requests ?? init.items?.length ?? DEFAULT_ITEMS;
    this.failing = failingItems(this.total, scenario.failedRequests);
    const outcome = drawOutcome(scenario, random);
    this.workMs = Math.max(1, samplePhase(scenario, 'in_progress', random));
    const b = new StepBuilder<EvalRunStatus>(now).enter('queued', samplePhase(scenario, 'queued', random));
    // A run that fails or is canceled by its script stops halfway through its items.
    b.enter('in_progress', outcome === 'completed' ? this.workMs : Math.round(this.workMs / 2));
    b.enter(outcome === 'completed' ? 'completed' : outcome === 'cancelled' ? 'canceled' : 'failed');
    const [first, ...rest] = b.steps;
    this.plan = new Plan(first!, rest);
  }

  get evalId(): string {
    return this.init.evaluation.id;
  }

  isTerminal(status: string): boolean {
    return TERMINAL.has(status);
  }

  /** `eval.run.succeeded|failed|canceled`, as OpenAI sends them. */
  eventFor(step: Step): JobEvent | null {
    const type = WEBHOOK_TYPES[step.status as EvalRunStatus];
    return type ? { type, data: { id: this.id } } : null;
  }

  /** Cancels at `t` (the run ends `canceled` at once), or a 400 when it has ended. */
  cancel(t: number): void {
    const status = this.plan.statusAt(t);
    if (TERMINAL.has(status)) throw badRequest(`Cannot cancel an eval run with status '${status}'.`);
    this.plan.replan(t, [{ status: 'canceled', at: t }]);
  }

  /** Items graded by `t`: evenly through the grading time, all of them once completed. */
  gradedAt(t: number): number {
    const status = this.plan.statusAt(t);
    if (status === 'completed') return this.total;
    const start = this.plan.reachedAt('in_progress', t);
    if (start === undefined) return 0;
    const stop = TERMINAL.has(status) ? this.plan.lastAt(t).at : t;
    return Math.min(this.total, Math.floor(((stop - start) / this.workMs) * this.total));
  }

  /** The output items graded by `t`, oldest first. */
  outputItems(t: number): OutputItemListResponse[] {
    const graded = this.gradedAt(t);
    const start = this.plan.reachedAt('in_progress', t) ?? this.createdAt;
    const out: OutputItemListResponse[] = [];
    for (let i = 0; i < graded; i++) {
      this.itemIds[i] ??= this.init.makeId();
      const passed = !this.failing.has(i);
      const item = this.init.items?.[i] ?? { input: `Item ${i + 1}`, expected: 'yes' };
      const at = start + ((i + 1) * this.workMs) / this.total;
      out.push({
        id: this.itemIds[i]!,
        object: 'eval.run.output_item',
        created_at: toUnix(at),
        eval_id: this.evalId,
        run_id: this.id,
        status: passed ? 'pass' : 'fail',
        datasource_item_id: i,
        datasource_item: item,
        results: this.criteria().map((name) => ({
          name,
          passed,
          score: passed ? 1 : 0,
          type: 'string_check',
          sample: null,
        })),
        sample: {
          error: { code: '', message: '' },
          finish_reason: 'stop',
          input: [{ role: 'user', content: JSON.stringify(item) }],
          max_completion_tokens: 256,
          model: this.init.model,
          output: [{ role: 'assistant', content: passed ? 'yes' : 'no' }],
          seed: 42,
          temperature: 1,
          top_p: 1,
          usage: { cached_tokens: 0, completion_tokens: 1, prompt_tokens: 12, total_tokens: 13 },
        },
      });
    }
    return out;
  }

  private criteria(): string[] {
    const names = this.init.evaluation.testing_criteria.map((c) => (c as { name?: unknown }).name);
    const strings = names.filter((n): n is string => typeof n === 'string');
    return strings.length > 0 ? strings : ['grader'];
  }

  /** The run as `GET /evals/{eval_id}/runs/{run_id}` returns it at `t`. */
  toRun(t: number): RunRetrieveResponse {
    const { init } = this;
    const status = this.plan.statusAt(t);
    const graded = this.gradedAt(t);
    let failed = 0;
    for (let i = 0; i < graded; i++) if (this.failing.has(i)) failed++;
    const failedRun = status === 'failed';
    return {
      id: this.id,
      object: 'eval.run',
      eval_id: this.evalId,
      name: init.name,
      model: init.model,
      status,
      created_at: toUnix(this.createdAt),
      report_url: `https://platform.openai.com/evaluations/${this.evalId}?run_id=${this.id}`,
      result_counts: { total: this.total, passed: graded - failed, failed, errored: 0 },
      per_model_usage: [
        {
          model_name: init.model,
          invocation_count: graded,
          prompt_tokens: graded * 12,
          completion_tokens: graded,
          total_tokens: graded * 13,
          cached_tokens: 0,
        },
      ],
      per_testing_criteria_results: this.criteria().map((testing_criteria) => ({
        testing_criteria,
        passed: graded - failed,
        failed,
      })),
      data_source: init.dataSource,
      metadata: init.metadata,
      error: failedRun
        ? {
            code: init.scenario.error?.code ?? 'server_error',
            message: init.scenario.error?.message ?? 'The eval run failed due to an internal error.',
          }
        : (null as unknown as RunRetrieveResponse['error']),
    };
  }
}
