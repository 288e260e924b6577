/**
 * How far a job has got, in one shape for every kind that reports it: `done` out of `total`, beside the kind's own
 * counts (a batch's `completed` and `failed` requests, an eval run's `passed`, `failed` and `errored` items, a file
 * batch's files by status).
 */
export interface Progress {
  /** Units of work finished, whatever their outcome. */
  done: number;
  /** Units of work in all; 0 while the job does not know yet. */
  total: number;
}

/** True for a count: a non-negative integer. */
export const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** The object at `key` of a job, when the job has one there. */
export function countsOf(job: unknown, key: string): Record<string, unknown> | undefined {
  const counts = (job as Record<string, unknown> | null | undefined)?.[key];
  return typeof counts === 'object' && counts !== null ? (counts as Record<string, unknown>) : undefined;
}

/** The part of a snapshot's change key a progress makes: its counts, in their order. */
export const progressKey = ({ progress }: { progress?: object | undefined }): string =>
  progress ? Object.values(progress).join('/') : '';
