import type { Batch } from 'openai/resources/batches';
import type { JobState } from '../../model/observation.js';
import { idsProblem, ownRef } from '../ref-ids.js';
import { requestOptions, secondsToMs } from '../request-options.js';
import { sameAsAge } from '../same-as-age.js';
import type { KindSpec, RefLike } from '../spec.js';
import { batchCommandLine } from './cli.js';
import { type BatchExtras, batchExtras, progressKey } from './progress.js';

/** A batch, by id. */
export type BatchRef = { kind: 'batch'; id: string };

// A batch has more phases than a run; they fold onto the run vocabulary so one machine serves every kind.
const STATES: Record<Batch['status'], JobState> = {
  validating: 'queued',
  in_progress: 'in_progress',
  finalizing: 'in_progress',
  completed: 'completed',
  failed: 'failed',
  expired: 'expired',
  cancelling: 'cancelling',
  cancelled: 'cancelled',
};

const id = (ref: RefLike): string => ownRef<BatchRef>(ref, 'batch', 'a batch').id;

/** Batch jobs (`client.batches`): no tool calls, no stream; their progress is on every snapshot. */
export const batch: KindSpec<'batch', BatchRef, Batch, BatchExtras> = {
  kind: 'batch',
  cli: batchCommandLine,
  jobId: id,
  describe: (ref) => `batch ${id(ref)}`,
  refProblem: (ref) => idsProblem(ref, ['id']),
  refFromJobId: (jobId) => ({ kind: 'batch', id: jobId }),
  async retrieve(client, ref, options) {
    const { data, response } = await client.batches.retrieve(id(ref), requestOptions(options)).withResponse();
    return { job: data, headers: response.headers };
  },
  async cancel(client, ref, options) {
    const { data, response } = await client.batches.cancel(id(ref), requestOptions(options)).withResponse();
    return { job: data, headers: response.headers };
  },
  status: (b) => b.status,
  mapStatus: (status) => STATES[status as Batch['status']],
  // The server expires a batch that misses its completion window; it reports `expired` itself, so the batch's
  // `expires_at` is the moment to confirm that.
  expiresAt: (b) => (b.status === 'completed' ? null : secondsToMs(b.expires_at)),
  toolCalls: () => [],
  webhookStatus: (type) => (type.startsWith('batch.') ? type.slice('batch.'.length) : undefined),
  announced: (ref, status) => ({ id: id(ref), object: 'batch', status, announced: true }),
  durationDetail: (job) => (job as { endpoint?: unknown } | undefined)?.endpoint,
  // A batch has a 24-hour completion window, so a watch waits 25 hours. Polled by its age: every 10 s, then 15% of
  // its age up to 30 minutes (why: docs/polling.md, figures in docs/benchmarks.md).
  defaults: {
    maxWaitMs: 25 * 60 * 60_000,
    poll: {
      initialDelayMs: 10_000,
      factor: 1,
      maxDelayMs: 10_000,
      jitter: 'none',
      growth: { share: 0.15, maxDelayMs: 30 * 60_000 },
    },
    hybridPoll: sameAsAge(5 * 60_000, 2 * 60 * 60_000),
  },
  slimFields: ['id', 'object', 'status', 'created_at', 'expires_at', 'request_counts'],
  snapshotExtras: batchExtras,
  progressUnit: 'requests',
  extrasKey: progressKey,
};
