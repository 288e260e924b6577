import { findKindSpec } from '../kinds/registry.js';
import type { AnyDefinedRef, JobRef } from '../model/types.js';

/**
 * The key `watchRuns` tags a job with: its id (run id, response id, batch id), the same as `snapshot.id`.
 * A malformed job (no id) is keyed by its JSON, so its error update can still be told apart.
 *
 * @example
 * jobKey({ kind: 'assistants.run', threadId: 'thread_1', runId: 'run_1' }); // 'run_1'
 * jobKey({ kind: 'response', id: 'resp_1' }); // 'resp_1'
 */
export function jobKey(job: JobRef | AnyDefinedRef): string {
  const spec = findKindSpec(job?.kind);
  const id: unknown = spec ? spec.jobId(job as JobRef) : (job as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && id !== '' ? id : String(JSON.stringify(job));
}
