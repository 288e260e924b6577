import type OpenAI from 'openai';
import { Observable, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';

/** How many reads at start one client sends at once, at most (see {@link ReadGate}). */
export const START_READ_CONCURRENCY = 8;

/** Each read at start waits up to this long, at random, before it goes out (see {@link ReadGate}). */
export const START_READ_JITTER_MS = 50;

/**
 * Who waits at the gate: it builds its read when its turn comes and hears how it went. A webhook-fed watch is its own
 * reader, so a read waiting at the gate is one {@link GateEntry} and no subscription until its turn
 * (docs/benchmarks.md, "Heap per idle watched run").
 */
export interface GateReader<T> {
  /** Builds the read, when a slot is free and the jitter has passed. */
  gateRead(): Observable<T>;
  gateNext(value: T): void;
  gateError(error: unknown): void;
  gateComplete(): void;
}

/** One read waiting for, or holding, a slot of the gate. Cancel it to leave the queue or abort the read. */
export class GateEntry<T> {
  cancelled = false;
  holding = false;
  wait: Subscription | undefined = undefined;
  inner: Subscription | undefined = undefined;

  constructor(
    readonly gate: ReadGate,
    readonly reader: GateReader<T>,
    readonly scheduler: SchedulerLike,
    readonly random: () => number,
  ) {}

  start(): void {
    this.holding = true;
    this.wait = this.scheduler.schedule(() => this.send(), Math.floor(this.random() * this.gate.jitterMs));
  }

  private send(): void {
    this.wait = undefined;
    this.inner = this.reader.gateRead().subscribe(this);
  }

  next(value: T): void {
    this.reader.gateNext(value);
  }

  error(error: unknown): void {
    this.release();
    this.reader.gateError(error);
  }

  complete(): void {
    this.release();
    this.reader.gateComplete();
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

/** A read given as an Observable's subscriber ({@link ReadGate.through}). */
class SubscriberReader<T> implements GateReader<T> {
  constructor(
    readonly read: () => Observable<T>,
    readonly subscriber: Subscriber<T>,
  ) {}

  gateRead(): Observable<T> {
    return this.read();
  }

  gateNext(value: T): void {
    this.subscriber.next(value);
  }

  gateError(error: unknown): void {
    this.subscriber.error(error);
  }

  gateComplete(): void {
    this.subscriber.complete();
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
      const entry = this.enter(new SubscriberReader(read, subscriber), scheduler, random);
      return () => entry.cancel();
    });
  }

  /** Queues `reader`'s read, built and sent when a slot is free and its jitter has passed; cancel the entry to leave. */
  enter<T>(reader: GateReader<T>, scheduler: SchedulerLike, random: () => number): GateEntry<T> {
    const entry = new GateEntry(this, reader, scheduler, random);
    this.queue.push(entry as GateEntry<unknown>);
    this.next();
    return entry;
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
