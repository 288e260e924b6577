import type OpenAI from 'openai';
import { Observable, type SchedulerLike, type Subscription } from 'rxjs';

/** How many reads at start one client sends at once, at most (see {@link ReadGate}). */
export const START_READ_CONCURRENCY = 8;

/** Each read at start waits up to this long, at random, before it goes out (see {@link ReadGate}). */
export const START_READ_JITTER_MS = 50;

interface Waiting {
  start: () => void;
  cancelled: boolean;
}

/**
 * Spreads the reads that webhook-fed watches make when they start: at most `concurrency` at once per client, each
 * after a random wait of up to `jitterMs`. Starting 10,000 such watches together (a restart, a page of jobs
 * re-watched) sent 10,000 retrieves at the same instant: the event loop stalled for seconds and the API answered
 * with a wall of 429s (docs/benchmarks.md, "Heap per idle watched run"). A waiting read is one small entry in a
 * queue, not a request.
 */
export class ReadGate {
  private running = 0;
  private readonly queue: Waiting[] = [];
  private head = 0;

  constructor(
    private readonly concurrency: number,
    private readonly jitterMs: number,
  ) {}

  /** `read$`, subscribed when a slot is free and its jitter has passed; unsubscribing leaves the queue. */
  through<T>(read$: Observable<T>, scheduler: SchedulerLike, random: () => number): Observable<T> {
    return new Observable<T>((subscriber) => {
      let inner: Subscription | undefined;
      let wait: Subscription | undefined;
      let holding = false;
      const release = () => {
        if (!holding) return;
        holding = false;
        this.running--;
        this.next();
      };
      const entry: Waiting = {
        cancelled: false,
        start: () => {
          holding = true;
          this.running++;
          wait = scheduler.schedule(
            () => {
              inner = read$.subscribe({
                next: (value) => subscriber.next(value),
                error: (error: unknown) => {
                  release();
                  subscriber.error(error);
                },
                complete: () => {
                  release();
                  subscriber.complete();
                },
              });
            },
            Math.floor(random() * this.jitterMs),
          );
        },
      };
      this.queue.push(entry);
      this.next();
      return () => {
        entry.cancelled = true;
        wait?.unsubscribe();
        inner?.unsubscribe();
        release();
      };
    });
  }

  private next(): void {
    while (this.running < this.concurrency && this.head < this.queue.length) {
      const entry = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (!entry.cancelled) entry.start();
    }
  }
}

const GATES = new WeakMap<OpenAI, ReadGate>();

/** The gate of a client: one rate limit, one gate. */
export function startReadGate(client: OpenAI): ReadGate {
  let gate = GATES.get(client);
  if (!gate) {
    gate = new ReadGate(START_READ_CONCURRENCY, START_READ_JITTER_MS);
    GATES.set(client, gate);
  }
  return gate;
}
