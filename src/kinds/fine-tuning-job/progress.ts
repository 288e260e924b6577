import type OpenAI from 'openai';
import type { FineTuningJob, FineTuningJobEvent } from 'openai/resources/fine-tuning/jobs/jobs';
import type { CallOptions } from '../../model/observation.js';
import { isCount, type Progress } from '../progress.js';
import { requestOptions } from '../request-options.js';

/**
 * Where a fine-tune's progress comes from, when the ref asks for one: `'events'` reads the job's newest events
 * (`listEvents`) beside each retrieve, one more request per poll, counted in `calls` and in a shared budget.
 */
export type FineTuneProgressFrom = 'events';

/** A fine-tune's progress: training steps done out of the job's total, from its last metrics event. */
export interface FineTuneProgress extends Progress {
  /** The training loss that event reported, or null when it reported none. */
  trainLoss: number | null;
}

/**
 * A fine-tuning job as a watch with `progressFrom: 'events'` sees it: the API object, and the last metrics event
 * its newest events held (absent when they held none: before training, or a page of other messages).
 */
export type FineTuningJobWithEvents = FineTuningJob & { last_metrics_event?: FineTuningJobEvent };

/** Statuses in which no step has been trained, so there is no metrics event to read. */
const BEFORE_TRAINING: ReadonlySet<string> = new Set(['validating_files', 'queued']);

/**
 * Events read per retrieve. The API lists them newest first, one metrics event per training step among few
 * messages, so the newest page nearly always holds one; a page without one leaves progress out that time.
 */
const EVENTS_PAGE = 10;

/**
 * Reads the job's newest events after a retrieve and keeps the last metrics event on the job. Skipped while the
 * job validates or waits in the queue (no step trained yet). A failure of this read fails the retrieve, as a
 * retrieve's own would: retried, counted, and a 429 seen by the budget.
 */
export async function withMetricsEvent(
  client: OpenAI,
  job: FineTuningJob,
  options: CallOptions,
): Promise<FineTuningJobWithEvents> {
  if (BEFORE_TRAINING.has(job.status)) return job;
  await options.onExtraRequest?.();
  const page = await client.fineTuning.jobs.listEvents(
    job.id,
    { limit: EVENTS_PAGE },
    requestOptions(options),
  );
  const event = page.data.find((e) => e.type === 'metrics' && stepsOf(e) !== undefined);
  return event ? { ...job, last_metrics_event: event } : job;
}

/** `step` and `total_steps` of a metrics event's data, when both are counts. */
function stepsOf(event: FineTuningJobEvent): { step: number; total: number; trainLoss?: number } | undefined {
  const data = event.data as
    | { step?: unknown; total_steps?: unknown; train_loss?: unknown }
    | null
    | undefined;
  if (!data || !isCount(data.step) || !isCount(data.total_steps)) return undefined;
  return typeof data.train_loss === 'number'
    ? { step: data.step, total: data.total_steps, trainLoss: data.train_loss }
    : { step: data.step, total: data.total_steps };
}

/** A fine-tune's progress from the metrics event its object carries, or undefined without one. */
export function fineTuneProgress(job: unknown): FineTuneProgress | undefined {
  const event = (job as { last_metrics_event?: unknown } | null | undefined)?.last_metrics_event;
  if (typeof event !== 'object' || event === null) return undefined;
  const steps = stepsOf(event as FineTuningJobEvent);
  if (!steps) return undefined;
  return { done: steps.step, total: steps.total, trainLoss: steps.trainLoss ?? null };
}
