import type OpenAI from 'openai';
import { Observable, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';

/** How many reads at start one client sends at once, at most (see {@link ReadGate}). */
export const START_READ_CONCURRENCY = 8;

/** Each read at start waits up to this long, at random, before it goes out (see {@link ReadGate}). */
export const START_READ_JITTER_MS = 50;

/** One read waiting for, or holding, a slot of the gate. */
class GateEntry<T> {
  cancelled = false;
  holding = false;
  wait: Subscription | undefined = undefined;
  inner: Subscription | undefined = undefined;

  constructor(
    readonly gate: ReadGate,
    readonly read: () => Observable<T>,
    readonly subscriber: Subscriber<T>,
    readonly scheduler: SchedulerLike,
    readonly random: () => number,
  ) {}

  start(): void {
    this.holding = true;
    this.wait = this.scheduler.schedule(() => this.send(), Math.floor(this.random() * this.gate.jitterMs));
  }

  private send(): void {
    const { subscriber } = this;
    this.inner = this.read().subscribe({
      next: (value) => subscriber.next(value),
      error: (error: unknown) => {
        this.release();
        subscriber.error(error);
      },
      complete: () => {
        this.release();
        subscriber.complete();
      },
    });
  }

  release(): void {
    if (!this.holding) return;
    this.holding = false;
    this.gate.released();
  }

  cancel(): void {
    this.cancelled = true;
    this.wait?.unsubscribe();
    this.inner?.unsubscribe();
    this.release();
  }
}

/**
 * Spreads the reads that webhook-fed watches make when they start: at most `concurrency` at once per client, each
 * after a random wait of up to `jitterMs`. Starting 10,000 such watches together (a restart, a page of jobs
 * re-watched) sent 10,000 retrieves at the same instant: the event loop stalled for seconds and the API answered
 * with a wall of 429s (docs/benchmarks.md, "Heap per idle watched run"). A waiting read is one small entry in a
 * queue: its request is built when its turn comes.
 */
export class ReadGate {
  private running = 0;
  private queue: GateEntry<unknown>[] = [];
  private head = 0;

  constructor(
    readonly concurrency: number,
    readonly jitterMs: number,
  ) {}

  /** The read `read()` builds, sent when a slot is free and its jitter has passed; unsubscribing leaves the queue. */
  through<T>(read: () => Observable<T>, scheduler: SchedulerLike, random: () => number): Observable<T> {
    return new Observable<T>((subscriber) => {
      const entry = new GateEntry(this, read, subscriber, scheduler, random);
      this.queue.push(entry as GateEntry<unknown>);
      this.next();
      return () => entry.cancel();
    });
  }

  /** A slot was freed. */
  released(): void {
    this.running--;
    this.next();
  }

  private next(): void {
    while (this.running < this.concurrency && this.head < this.queue.length) {
      const entry = this.queue[this.head++]!;
      if (entry.cancelled) continue;
      this.running++;
      entry.start();
    }
    // Drop the entries already served, once they are the larger part of the queue.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

const GATES = new WeakMap<object, ReadGate>();
// The key of watches given no client: kinds defined with `defineKind` make their own requests, and share one gate.
const NO_CLIENT = {};

/** The gate of a client: one rate limit, one gate (one for every watch without a client). */
export function startReadGate(client: OpenAI | undefined): ReadGate {
  const key: object = client ?? NO_CLIENT;
  let gate = GATES.get(key);
  if (!gate) {
    gate = new ReadGate(START_READ_CONCURRENCY, START_READ_JITTER_MS);
    GATES.set(key, gate);
  }
  return gate;
}
