import { jobKey } from '../compose/job-key.js';
import type { JobRef } from '../model/types.js';

/**
 * The BullMQ job id of a durable watch: the job's key (`snapshot.id`), which makes `watch()` idempotent.
 * BullMQ ids must not contain `:` (its key separator) nor be plain integers, so the key is percent-encoded
 * (`:` → `%3A`, `%` → `%25`: no two keys collide) and prefixed with the kind.
 *
 * @example watchJobId({ kind: 'response', id: 'resp_1' }) // 'response.resp_1'
 */
export function watchJobId(job: JobRef): string {
  const key = jobKey(job).replace(/%/g, '%25').replace(/:/g, '%3A');
  return `${job.kind}.${key}`;
}

/**
 * How every key runstate keeps beside BullMQ's begins, under the queue's prefix (`bull:<name>:runstate-…`):
 * BullMQ's job ids are kinds followed by a dot, so no job key can take this shape.
 */
export const RUNSTATE_KEY_PREFIX = 'runstate-';
