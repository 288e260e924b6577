import { kindSpec } from '../kinds/registry.js';
import type { JobRef, RunSnapshot } from '../model/types.js';

/**
 * A published snapshot as a watch's data stores it: without its `id` and `kind`, which the data's `job` says, and
 * without `pendingToolCalls` and `missingHandlers` when they are empty. {@link publishedSnapshot} puts them back.
 */
export type StoredSnapshot = Omit<RunSnapshot, 'id' | 'kind' | 'pendingToolCalls' | 'missingHandlers'> &
  Partial<Pick<RunSnapshot, 'id' | 'kind' | 'pendingToolCalls' | 'missingHandlers'>>;

/** The stored form of `snapshot` (a copy; a snapshot already stored comes back as it is). */
export function storedSnapshot(snapshot: StoredSnapshot): StoredSnapshot {
  const { id: _id, kind: _kind, pendingToolCalls, missingHandlers, ...rest } = snapshot;
  return {
    ...rest,
    ...(pendingToolCalls && pendingToolCalls.length > 0 ? { pendingToolCalls } : {}),
    ...(missingHandlers && missingHandlers.length > 0 ? { missingHandlers } : {}),
  };
}

/** The whole published snapshot of a watch from its data; a snapshot stored whole (earlier workers) reads as well. */
export function publishedSnapshot(data: {
  job: JobRef;
  snapshot?: StoredSnapshot | undefined;
}): RunSnapshot | undefined {
  const stored = data.snapshot;
  if (stored === undefined) return undefined;
  return {
    id: kindSpec(data.job.kind).jobId(data.job),
    kind: data.job.kind,
    pendingToolCalls: [],
    missingHandlers: [],
    ...stored,
  } as RunSnapshot;
}
