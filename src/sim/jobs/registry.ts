import type { SimClock } from '../time/clock.js';
import type { SimJob } from './job.js';
import type { Step } from './plan.js';

/** Per-job counters kept beside the job. */
export interface JobCounters {
  /** Retrieve requests that named this job (every attempt, including ones a fault answered). */
  retrieves: number;
  /** HTTP requests for this job: its create, and every request whose path names it (retrieve, cancel, ...). */
  requests: number;
}

interface Tracked {
  job: SimJob;
  counters: JobCounters;
  /** Steps already announced through `onStep`. */
  announced: number;
  cancelTimer?: () => void;
}

/**
 * Every job, by id. For each job one clock callback waits for its next planned step, so listeners (webhooks)
 * hear each status exactly when the script reaches it, whether or not anybody polls.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, Tracked>();
  private closed = false;

  constructor(
    private readonly clock: SimClock,
    private readonly onStep: (job: SimJob, step: Step) => void,
  ) {}

  /** Adds a new job and starts announcing its steps (the creation step at once). */
  add(job: SimJob): void {
    const tracked: Tracked = { job, counters: { retrieves: 0, requests: 1 }, announced: 0 };
    this.jobs.set(job.id, tracked);
    this.watch(tracked);
  }

  /** A job by id, if it exists (any kind). */
  get(id: string): SimJob | undefined {
    return this.jobs.get(id)?.job;
  }

  /** The job's counters, if it exists. */
  counters(id: string): JobCounters | undefined {
    return this.jobs.get(id)?.counters;
  }

  /** Call after rewriting a job's plan, so its next step is watched instead of a stale one. */
  replanned(job: SimJob): void {
    const tracked = this.jobs.get(job.id);
    if (tracked) this.watch(tracked);
  }

  /** Every job with its counters, in creation order. */
  *entries(): IterableIterator<{ job: SimJob; counters: JobCounters }> {
    for (const { job, counters } of this.jobs.values()) yield { job, counters };
  }

  /** Stops announcing steps; status reads keep working. */
  close(): void {
    this.closed = true;
    for (const tracked of this.jobs.values()) tracked.cancelTimer?.();
  }

  private watch(tracked: Tracked): void {
    tracked.cancelTimer?.();
    tracked.cancelTimer = undefined;
    const next = tracked.job.plan.step(tracked.announced);
    if (this.closed || !next) return;
    tracked.cancelTimer = this.clock.schedule(next.at, () => {
      tracked.cancelTimer = undefined;
      this.announce(tracked);
      this.watch(tracked);
    });
  }

  private announce(tracked: Tracked): void {
    const { plan } = tracked.job;
    const now = this.clock.now();
    for (
      let step = plan.step(tracked.announced);
      step && step.at <= now;
      step = plan.step(tracked.announced)
    ) {
      tracked.announced++;
      this.onStep(tracked.job, step);
    }
  }
}
