/**
 * How much older than the watch the job is, in ms: 0 when the watch began around the job's creation (within 2 s:
 * `created_at` has whole seconds, and clocks drift), else its age at `at` minus the time watched so far
 * (`elapsedMs`). Shared by the adaptive source (which learns durations from creation) and the poll schedules that
 * grow with the job's age.
 */
export function ageOffset(job: unknown, at: number, elapsedMs: number): number {
  const createdAt = (job as { created_at?: unknown } | null)?.created_at;
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) return 0;
  // created_at is truncated to the second: the middle of that second is the best guess.
  const age = at - (createdAt * 1000 + 500);
  return age - elapsedMs > 2000 ? age - elapsedMs : 0;
}

/**
 * A watched job's age: the time since the watch began, plus, once the first API object is seen, how much older
 * than the watch the job is ({@link ageOffset}).
 */
export class JobAge {
  private offsetMs = 0;
  private observed = false;

  /** `start`: epoch ms at which the watch began, on the watch's clock. */
  constructor(private readonly start: number) {}

  /** Reads the job's `created_at` from the first object seen (at epoch ms `at`); later ones change nothing. */
  observe(job: unknown, at: number): void {
    if (this.observed) return;
    this.observed = true;
    this.offsetMs = ageOffset(job, at, at - this.start);
  }

  /** The job's age in ms at epoch ms `now`. */
  at(now: number): number {
    return now - this.start + this.offsetMs;
  }
}
