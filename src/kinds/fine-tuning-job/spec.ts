import type { FineTuningJob } from 'openai/resources/fine-tuning/jobs/jobs';
import type { JobState } from '../../model/observation.js';
import { progressKey } from '../progress.js';
import { idsProblem, ownRef } from '../ref-ids.js';
import { requestOptions } from '../request-options.js';
import { sameAsAge } from '../same-as-age.js';
import type { KindSpec, RefLike } from '../spec.js';
import { fineTuningJobCommandLine } from './cli.js';
import {
  type FineTuneProgress,
  type FineTuneProgressFrom,
  fineTuneProgress,
  withMetricsEvent,
} from './progress.js';

/**
 * A fine-tuning job, by id. `progressFrom: 'events'` gives its snapshots a `progress` (training steps) read from
 * its events: one more request per poll once it trains, so only when asked.
 */
export type FineTuningJobRef = { kind: 'fine_tuning.job'; id: string; progressFrom?: FineTuneProgressFrom };

/**
 * The statuses a fine-tune reports: the SDK's enum, and `paused`, which the spec's pause example answers though
 * its enum leaves it out.
 */
export type FineTuningJobStatus = FineTuningJob['status'] | 'paused';

// `paused` is neither ended nor running. It folds onto in_progress because the machine ranks states by lifecycle
// (a job never goes back to queued) and a resumed job runs again; the snapshot says `paused: true`.
const STATES: Record<FineTuningJobStatus, JobState> = {
  validating_files: 'queued',
  queued: 'queued',
  running: 'in_progress',
  paused: 'in_progress',
  succeeded: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

const id = (ref: RefLike): string => ownRef<FineTuningJobRef>(ref, 'fine_tuning.job', 'a fine_tuning.job').id;

/** What a fine-tune adds to a snapshot: that it is paused, and its progress when the ref asked for it. */
export interface FineTuneExtras {
  /** True while the job is `paused`: it neither runs nor has ended; `resume` starts it again. */
  paused?: boolean;
  /** Training steps done of the total, from the last metrics event (`progressFrom: 'events'` on the ref). */
  progress?: FineTuneProgress;
}

/** A fine-tune's snapshot extras from its latest object. */
function fineTuneExtras(job: unknown): FineTuneExtras {
  const extras: FineTuneExtras = {};
  if ((job as { status?: unknown } | undefined)?.status === 'paused') extras.paused = true;
  const progress = fineTuneProgress(job);
  if (progress) extras.progress = progress;
  return extras;
}

function refProblem(ref: RefLike): string | undefined {
  const ids = idsProblem(ref, ['id']);
  if (ids || ref.progressFrom === undefined || ref.progressFrom === 'events') return ids;
  return `has progressFrom ${JSON.stringify(ref.progressFrom)}: expected 'events' (or none)`;
}

/** The spec of a fine-tune watched with `progressFrom: 'events'`: each retrieve also reads its newest events. */
function withEventsProgress(
  spec: KindSpec<'fine_tuning.job', FineTuningJobRef, FineTuningJob, FineTuneExtras>,
): KindSpec<'fine_tuning.job', FineTuningJobRef, FineTuningJob, FineTuneExtras> {
  return {
    ...spec,
    forRef: undefined,
    async retrieve(client, ref, options) {
      const { job, headers } = await spec.retrieve(client, ref, options);
      return { job: await withMetricsEvent(client, job, options), headers };
    },
  };
}

/**
 * Fine-tuning jobs (`client.fineTuning.jobs`): hours of training, no tool calls, no stream, webhooks when they
 * end (`fine_tuning.job.succeeded`, `.failed`, `.cancelled`).
 */
export const fineTuningJob: KindSpec<'fine_tuning.job', FineTuningJobRef, FineTuningJob, FineTuneExtras> = {
  kind: 'fine_tuning.job',
  cli: fineTuningJobCommandLine,
  jobId: id,
  describe: (ref) => `fine-tuning job ${id(ref)}`,
  refProblem,
  refFromJobId: (jobId) => ({ kind: 'fine_tuning.job', id: jobId }),
  async retrieve(client, ref, options) {
    const { data, response } = await client.fineTuning.jobs
      .retrieve(id(ref), requestOptions(options))
      .withResponse();
    return { job: data, headers: response.headers };
  },
  async cancel(client, ref, options) {
    const { data, response } = await client.fineTuning.jobs
      .cancel(id(ref), requestOptions(options))
      .withResponse();
    return { job: data, headers: response.headers };
  },
  status: (j) => j.status,
  mapStatus: (status) => STATES[status as FineTuningJobStatus],
  // A fine-tune has no server expiry: only the watcher's own timeout applies.
  expiresAt: () => null,
  toolCalls: () => [],
  webhookStatus: (type) =>
    type.startsWith('fine_tuning.job.') ? type.slice('fine_tuning.job.'.length) : undefined,
  announced: (ref, status) => ({ id: id(ref), object: 'fine_tuning.job', status, announced: true }),
  durationDetail: (job) => (job as { model?: unknown } | undefined)?.model,
  // A fine-tune trains for minutes to hours after waiting its turn: a watch waits two days. Polled by its age like
  // a batch: every 30 s, then 15% of its age up to 30 minutes; with webhooks, the batch's safety net, from 5 minutes
  // at ages doubling, so a lost webhook is caught within the job's own duration (a 10-minute floor saves one
  // retrieve per job and loses that: figures in docs/benchmarks.md).
  defaults: {
    maxWaitMs: 48 * 60 * 60_000,
    poll: {
      initialDelayMs: 30_000,
      factor: 1,
      maxDelayMs: 30_000,
      jitter: 'none',
      growth: { share: 0.15, maxDelayMs: 30 * 60_000 },
    },
    hybridPoll: sameAsAge(5 * 60_000, 2 * 60 * 60_000),
  },
  slimFields: [
    'id',
    'object',
    'status',
    'created_at',
    'finished_at',
    'estimated_finish',
    'trained_tokens',
    'fine_tuned_model',
    'model',
    // Kept by an idle durable watch, so a restored snapshot still has its progress.
    'last_metrics_event',
  ],
  snapshotExtras: fineTuneExtras,
  progressUnit: 'steps',
  extrasKey: (extras) => [extras.paused ? 'paused' : '', progressKey(extras)].filter(Boolean).join('|'),
  forRef: (ref) =>
    (ref as Partial<FineTuningJobRef>).progressFrom === 'events' ? eventsProgress : fineTuningJob,
};

const eventsProgress = withEventsProgress(fineTuningJob);
