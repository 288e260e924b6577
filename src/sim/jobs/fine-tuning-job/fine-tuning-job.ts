import type { FileObject } from 'openai/resources/files';
import type { FineTuningJobCheckpoint } from 'openai/resources/fine-tuning/jobs/checkpoints';
import type { FineTuningJob, FineTuningJobEvent } from 'openai/resources/fine-tuning/jobs/jobs';
import type { FileStore } from '../../files/file-store.js';
import type { IdFactory } from '../../ids.js';
import type { Random } from '../../scenario/random.js';
import { drawOutcome, samplePhase } from '../../scenario/sample.js';
import type { Scenario } from '../../scenario/scenario.js';
import { badRequest } from '../../server/errors.js';
import { type JobEvent, type SimJob, toUnix } from '../job.js';
import { Plan, type Step, StepBuilder } from '../plan.js';

/** A fine-tune's statuses: the SDK's enum and `paused`, which the spec's pause example answers. */
export type FineTuneStatus = FineTuningJob['status'] | 'paused';

const TERMINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);
const CANCELLABLE: ReadonlySet<string> = new Set(['validating_files', 'queued', 'running', 'paused']);
const EPOCHS = 3;
/** Training steps when the scenario names none (`requests`). */
const DEFAULT_STEPS = 60;
const TOKENS_PER_STEP = 512;

/** A metrics line of the result CSV, and of a checkpoint: the loss falls as training goes. */
function lossAt(step: number, total: number): number {
  return Math.round((2.2 * Math.exp((-2 * step) / Math.max(1, total)) + 0.1) * 10_000) / 10_000;
}

/** The token accuracy that goes with a loss, to four places. */
function accuracyOf(loss: number): number {
  return Math.round((1 - loss / 2.5) * 10_000) / 10_000;
}

/**
 * A fine-tuning job: validating_files → queued → running → succeeded | failed | cancelled. Training steps move
 * while it runs (metrics events, checkpoints at each epoch, `trained_tokens` at the end); `pause` holds it in
 * `paused` until `resume`; a cancel ends it at once. Webhooks: `fine_tuning.job.succeeded|failed|cancelled`.
 */
export class FineTuneJob implements SimJob {
  readonly kind = 'fine_tuning.job';
  readonly createdAt: number;
  readonly plan: Plan<FineTuneStatus>;
  readonly totalSteps: number;
  /** How long the whole training runs (pauses excluded). */
  private readonly trainMs: number;
  /** Running time still ahead when the job was paused. */
  private remainingMs = 0;
  private readonly resultFileId: string;
  private readonly checkpointIds: string[];
  private readonly eventIds: string[] = [];

  constructor(
    readonly id: string,
    private readonly init: {
      model: string;
      trainingFile: string;
      validationFile: string | null;
      suffix: string | null;
      seed: number;
      metadata: Record<string, string> | null;
      scenario: Scenario;
      random: Random;
      ids: IdFactory;
      files: FileStore;
      now: number;
    },
  ) {
    const { scenario, random, now } = init;
    this.createdAt = now;
    this.totalSteps = scenario.requests ?? DEFAULT_STEPS;
    this.resultFileId = init.ids.make('file-', 22);
    this.checkpointIds = Array.from({ length: EPOCHS }, () => init.ids.make('ftckpt_', 24));
    const outcome = drawOutcome(scenario, random);
    const b = new StepBuilder<FineTuneStatus>(now)
      .enter('validating_files', samplePhase(scenario, 'validating', random))
      .enter('queued', samplePhase(scenario, 'queued', random));
    this.trainMs = Math.max(1, samplePhase(scenario, 'in_progress', random));
    // A job that fails or is cancelled by its script stops halfway through its training.
    b.enter('running', outcome === 'completed' ? this.trainMs : Math.round(this.trainMs / 2));
    b.enter(outcome === 'completed' ? 'succeeded' : outcome === 'cancelled' ? 'cancelled' : 'failed');
    const [first, ...rest] = b.steps;
    this.plan = new Plan(first!, rest);
    init.files.addLater(this.resultFileId, (t) => this.resultFile(t));
  }

  isTerminal(status: string): boolean {
    return TERMINAL.has(status);
  }

  /** `fine_tuning.job.succeeded|failed|cancelled`, as OpenAI sends them. */
  eventFor(step: Step): JobEvent | null {
    return TERMINAL.has(step.status)
      ? { type: `fine_tuning.job.${step.status}`, data: { id: this.id } }
      : null;
  }

  /** Cancels at `t` (the job ends `cancelled` at once), or a 400 when it has ended. */
  cancel(t: number): void {
    const status = this.plan.statusAt(t);
    if (!CANCELLABLE.has(status))
      throw badRequest(`Cannot cancel a fine-tuning job with status '${status}'.`);
    this.plan.replan(t, [{ status: 'cancelled', at: t }]);
  }

  /** Pauses a running job at `t`: it stays `paused` until resumed. */
  pause(t: number): void {
    const status = this.plan.statusAt(t);
    if (status !== 'running') throw badRequest(`Cannot pause a fine-tuning job with status '${status}'.`);
    this.remainingMs = Math.max(0, this.plan.final.at - t);
    this.finalStatus = this.plan.final.status;
    this.plan.replan(t, [{ status: 'paused', at: t }]);
  }

  private finalStatus: FineTuneStatus = 'succeeded';

  /** Resumes a paused job at `t`: it runs the time it had left, then ends as scripted. */
  resume(t: number): void {
    const status = this.plan.statusAt(t);
    if (status !== 'paused') throw badRequest(`Cannot resume a fine-tuning job with status '${status}'.`);
    this.plan.replan(
      t,
      new StepBuilder<FineTuneStatus>(t).enter('running', this.remainingMs).enter(this.finalStatus).steps,
    );
  }

  /** Time spent `running` by `t` (pauses excluded): what training steps are made of. */
  private runningMs(t: number): number {
    const steps = this.plan.reachedBy(t);
    let ms = 0;
    for (let i = 0; i < steps.length; i++) {
      if (steps[i]!.status !== 'running') continue;
      ms += (steps[i + 1]?.at ?? t) - steps[i]!.at;
    }
    return ms;
  }

  /** Training steps finished by `t`. */
  stepAt(t: number): number {
    if (this.plan.statusAt(t) === 'succeeded') return this.totalSteps;
    return Math.min(this.totalSteps, Math.floor((this.runningMs(t) / this.trainMs) * this.totalSteps));
  }

  /** The result CSV (one row per step), once the job has succeeded. */
  private resultFile(t: number) {
    const at = this.plan.reachedAt('succeeded', t);
    if (at === undefined) return undefined;
    const rows = () => this.csvRows();
    let bytes = 0;
    for (const row of rows()) bytes += Buffer.byteLength(row);
    const file: FileObject = {
      id: this.resultFileId,
      object: 'file',
      bytes,
      created_at: toUnix(at),
      filename: 'step_metrics.csv',
      purpose: 'fine-tune-results',
      status: 'processed',
    };
    return { file, content: rows };
  }

  private *csvRows(): Iterable<string> {
    yield 'step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n';
    for (let step = 1; step <= this.totalSteps; step++) {
      const loss = lossAt(step, this.totalSteps);
      const valid = this.validMetrics(step);
      // Validation columns stay empty for a job trained without a validation file, as OpenAI's file has them.
      yield `${step},${loss},${accuracyOf(loss)},${valid?.valid_loss ?? ''},${valid?.valid_mean_token_accuracy ?? ''}\n`;
    }
  }

  /**
   * Validation metrics at `step`, only for a job given a `validation_file`: without one the API has none and leaves
   * the keys out (the spec's checkpoint example answers metrics with only the keys it has).
   */
  private validMetrics(step: number) {
    if (this.init.validationFile === null) return undefined;
    const loss = Math.round((lossAt(step, this.totalSteps) + 0.05) * 10_000) / 10_000;
    return {
      valid_loss: loss,
      valid_mean_token_accuracy: accuracyOf(loss),
      full_valid_loss: loss,
      full_valid_mean_token_accuracy: accuracyOf(loss),
    };
  }

  /** Events by `t`, oldest first: one per status reached, and a metrics event per step finished. */
  events(t: number): FineTuningJobEvent[] {
    const out: FineTuningJobEvent[] = [];
    const event = (at: number, message: string, extra: Partial<FineTuningJobEvent> = {}) => {
      const n = out.length;
      this.eventIds[n] ??= this.init.ids.make('ftevent-', 24);
      out.push({
        id: this.eventIds[n]!,
        object: 'fine_tuning.job.event',
        created_at: toUnix(at),
        level: 'info',
        message,
        type: 'message',
        data: {},
        ...extra,
      });
    };
    const MESSAGES: Record<FineTuneStatus, string> = {
      validating_files: 'Validating training file',
      queued: 'Files validated, moving job to queued state',
      running: 'Fine-tuning job started',
      paused: 'Fine-tuning job paused',
      succeeded: 'The job has successfully completed',
      failed: this.init.scenario.error?.message ?? 'The job failed due to an internal error',
      cancelled: 'Fine-tuning job cancelled',
    };
    const steps = this.plan.reachedBy(t);
    let shown = 0;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      event(s.at, MESSAGES[s.status], s.status === 'failed' ? { level: 'error' } : {});
      // Metrics events for the steps trained during this running phase.
      if (s.status !== 'running') continue;
      const end = steps[i + 1]?.at ?? t;
      const upTo = this.stepAt(end);
      for (let step = shown + 1; step <= upTo; step++) {
        const at = s.at + ((end - s.at) * (step - shown)) / Math.max(1, upTo - shown);
        const loss = lossAt(step, this.totalSteps);
        event(at, `Step ${step}/${this.totalSteps}: training loss=${loss}`, {
          type: 'metrics',
          data: {
            step,
            total_steps: this.totalSteps,
            train_loss: loss,
            train_mean_token_accuracy: accuracyOf(loss),
          },
        });
      }
      shown = upTo;
    }
    return out;
  }

  /** Checkpoints by `t`, oldest first: one at the end of each epoch trained. */
  checkpoints(t: number): FineTuningJobCheckpoint[] {
    const step = this.stepAt(t);
    const out: FineTuningJobCheckpoint[] = [];
    for (let epoch = 1; epoch <= EPOCHS; epoch++) {
      const at = Math.round((this.totalSteps * epoch) / EPOCHS);
      if (at > step) break;
      const loss = lossAt(at, this.totalSteps);
      out.push({
        id: this.checkpointIds[epoch - 1]!,
        object: 'fine_tuning.job.checkpoint',
        created_at: toUnix(t),
        fine_tuned_model_checkpoint: `${this.modelName()}:ckpt-step-${at}`,
        fine_tuning_job_id: this.id,
        step_number: at,
        metrics: {
          step: at,
          train_loss: loss,
          train_mean_token_accuracy: accuracyOf(loss),
          ...this.validMetrics(at),
        },
      });
    }
    return out;
  }

  private modelName(): string {
    const suffix = this.init.suffix ?? '';
    return `ft:${this.init.model}:sim:${suffix}:${this.id.slice(-8)}`;
  }

  /** The job as `GET /fine_tuning/jobs/{id}` returns it at `t`. */
  toJob(t: number): FineTuningJob {
    const { plan, init } = this;
    const status = plan.statusAt(t);
    const succeeded = status === 'succeeded';
    const finished = TERMINAL.has(status) ? toUnix(plan.lastAt(t).at) : null;
    const hyperparameters = { batch_size: 1, learning_rate_multiplier: 2, n_epochs: EPOCHS };
    return {
      id: this.id,
      object: 'fine_tuning.job',
      created_at: toUnix(this.createdAt),
      error:
        status === 'failed'
          ? {
              code: init.scenario.error?.code ?? 'server_error',
              message: init.scenario.error?.message ?? 'The job failed due to an internal error',
              param: null,
            }
          : null,
      fine_tuned_model: succeeded ? this.modelName() : null,
      finished_at: finished,
      hyperparameters,
      model: init.model,
      organization_id: 'org-sim',
      result_files: succeeded ? [this.resultFileId] : [],
      seed: init.seed,
      status: status as FineTuningJob['status'],
      trained_tokens: succeeded ? this.totalSteps * TOKENS_PER_STEP : null,
      training_file: init.trainingFile,
      validation_file: init.validationFile,
      estimated_finish: status === 'running' ? toUnix(plan.final.at) : null,
      integrations: null,
      metadata: init.metadata,
      method: { type: 'supervised', supervised: { hyperparameters } },
    };
  }
}
