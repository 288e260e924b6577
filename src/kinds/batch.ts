import type { Batch } from 'openai/resources/batches';
import type { BatchProgress, JobRef, JobState, KindAdapter } from '../model/types.js';
import { requestOptions, secondsToMs } from './request-options.js';

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

function id(ref: JobRef): string {
  if (ref.kind !== 'batch') throw new TypeError(`not a batch: ${ref.kind}`);
  return ref.id;
}

/**
 * A batch's progress from its `request_counts` (`completed`, `failed`, `total`), or undefined when the object
 * carries none (a stub from a webhook, or an older server).
 */
export function batchProgress(job: unknown): BatchProgress | undefined {
  const counts = (job as { request_counts?: unknown } | null | undefined)?.request_counts;
  if (typeof counts !== 'object' || counts === null) return undefined;
  const { completed, failed, total } = counts as Record<string, unknown>;
  const count = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (!count(completed) || !count(failed) || !count(total)) return undefined;
  return { completed: completed as number, failed: failed as number, total: total as number };
}

/** Batch jobs (`client.batches`). */
export const batch: KindAdapter<Batch> = {
  kind: 'batch',
  jobId: id,
  describe: (ref) => `batch ${id(ref)}`,
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
};
