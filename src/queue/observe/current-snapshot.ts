import type { Job } from 'bullmq';
import { kindSpec } from '../../kinds/registry.js';
import type { RunSnapshot } from '../../model/types.js';
import { toSnapshot } from '../../watch/snapshot.js';
import { restoreMachine } from '../stored-machine.js';
import { publishedSnapshot } from '../stored-snapshot.js';
import type { WatchData } from '../watch-data.js';

/** The snapshot of a watch no worker has stepped yet. */
export function initialSnapshot(data: WatchData): RunSnapshot {
  return {
    id: kindSpec(data.job.kind).jobId(data.job),
    kind: data.job.kind,
    state: 'queued',
    status: undefined,
    job: undefined,
    source: undefined,
    at: data.startedAt,
    calls: 0,
    done: false,
    pendingToolCalls: [],
    missingHandlers: [],
    note: undefined,
  };
}

/** Whether `v` is a snapshot, not a worker's progress notice (`{ state }`), which has no `done`. */
export const isSnapshot = (v: unknown): v is RunSnapshot =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as RunSnapshot).state === 'string' &&
  typeof (v as RunSnapshot).done === 'boolean';

/** The watch's current snapshot, read from the job itself (the event stream is capped; the job is not). */
export function currentSnapshot(job: Job): RunSnapshot {
  const data = job.data as WatchData;
  const published = publishedSnapshot(data);
  if (isSnapshot(published)) return published;
  // Stored by a worker of an earlier version, which published the whole snapshot as progress.
  if (isSnapshot(job.progress)) return job.progress;
  const machine = data.machine
    ? (restoreMachine(data.machine, data) as { status?: string; context?: Parameters<typeof toSnapshot>[0] })
    : undefined;
  // A watch that ended at its first step published no snapshot (the final one is the job's return value, which
  // bull-board's data formatter does not see): its machine says it is done.
  if (machine?.context)
    return toSnapshot(machine.context, machine.status === 'done' ? 'done' : 'watching', data.calls);
  return initialSnapshot(data);
}
