import type { SourceName, StatusEvent } from '../model/observation.js';
import type { KindAdapter } from './spec.js';

/** Normalizes one API object, observed at `at` by `source`, into the event every source emits. */
export function toStatusEvent<Job>(
  adapter: KindAdapter<Job>,
  job: Job,
  at: number,
  source: SourceName,
): StatusEvent<Job> {
  const status = adapter.status(job);
  const state = adapter.mapStatus(status);
  return {
    type: 'status',
    state,
    status,
    job,
    at,
    source,
    expiresAt: adapter.expiresAt(job),
    toolCalls: state === 'requires_action' ? adapter.toolCalls(job) : [],
  };
}
