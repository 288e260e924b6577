import { Observable, type Subscriber, type Unsubscribable } from 'rxjs';

/** Where a producer shared by {@link shareLatestOf} sends its values. */
export interface LatestSink<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * Shares one subscription to `source` among every subscriber, replaying the latest value to a late one: what
 * `share({ connector: () => new ReplaySubject(1), resetOnError: true, resetOnComplete: false,
 * resetOnRefCountZero: true })` does, written out because that pipeline (a ReplaySubject with its two arrays, three
 * subscribers and their closures) was a tenth of an idle watch's heap (docs/benchmarks.md).
 * - After `source` completes, a new subscriber gets the latest value and completes: nothing is subscribed again.
 * - After `source` errors, or once every subscriber has left, the next subscriber starts `source` anew.
 */
export function shareLatest<T>(source: Observable<T>): Observable<T> {
  return shareLatestOf<T>((sink) => source.subscribe(sink));
}

/**
 * {@link shareLatest} of a producer that `connect` starts into a sink, returning its teardown: no Observable and no
 * subscriber between the producer and the shared subscribers (watchRun's session is such a producer: that layer was
 * about half a KiB of every idle watch).
 */
export function shareLatestOf<T>(connect: (sink: LatestSink<T>) => Unsubscribable): Observable<T> {
  const shared = new SharedLatest(connect);
  return new Observable<T>((subscriber) => shared.add(subscriber));
}

/** The state behind {@link shareLatestOf}: the subscribers, the latest value, the connection. */
class SharedLatest<T> {
  subscribers: Subscriber<T>[] = [];
  connection: Connection<T> | undefined = undefined;
  latest: { value: T } | undefined = undefined;
  completed = false;

  constructor(private readonly connect: (sink: LatestSink<T>) => Unsubscribable) {}

  add(subscriber: Subscriber<T>): (() => void) | undefined {
    if (this.latest) subscriber.next(this.latest.value);
    if (this.completed) {
      subscriber.complete();
      return undefined;
    }
    // Most watches have one subscriber: an array made by push would be sized for 17.
    if (this.subscribers.length === 0) this.subscribers = [subscriber];
    else this.subscribers.push(subscriber);
    if (!this.connection) {
      const connection = new Connection(this);
      this.connection = connection;
      let teardown: Unsubscribable;
      try {
        teardown = this.connect(connection);
      } catch (error) {
        // As a producer's Observable would: a throw while connecting is its error.
        connection.error(error);
        return undefined;
      }
      // The producer may have ended while connecting: then there is nothing to keep.
      if (connection.stopped) teardown.unsubscribe();
      else connection.teardown = teardown;
    }
    return () => this.remove(subscriber);
  }

  private remove(subscriber: Subscriber<T>): void {
    const index = this.subscribers.indexOf(subscriber);
    if (index < 0) return;
    this.subscribers.splice(index, 1);
    if (this.subscribers.length === 0 && !this.completed) this.reset();
  }

  /** Forgets the connection and the latest value, and stops the producer. */
  reset(): void {
    const connection = this.connection;
    this.connection = undefined;
    this.latest = undefined;
    this.subscribers = [];
    connection?.stop();
  }
}

/** One connection of a {@link SharedLatest} to its producer: ignores the producer once it ended or was stopped. */
class Connection<T> implements LatestSink<T> {
  stopped = false;
  teardown: Unsubscribable | undefined = undefined;

  constructor(private readonly shared: SharedLatest<T>) {}

  next(value: T): void {
    if (this.stopped) return;
    const { shared } = this;
    shared.latest = { value };
    for (const s of [...shared.subscribers]) s.next(value);
  }

  error(error: unknown): void {
    if (this.stopped) return;
    const { shared } = this;
    const current = shared.subscribers;
    // As an RxJS subscriber does, the producer is torn down before the error is passed on.
    shared.reset();
    for (const s of current) s.error(error);
  }

  complete(): void {
    if (this.stopped) return;
    const { shared } = this;
    shared.completed = true;
    const current = shared.subscribers;
    shared.subscribers = [];
    shared.connection = undefined;
    for (const s of current) s.complete();
    // As an RxJS subscriber does, the producer is torn down after the end is passed on.
    this.stop();
  }

  /** Stops the producer (at once, or as soon as `connect` returns its teardown). */
  stop(): void {
    this.stopped = true;
    const teardown = this.teardown;
    this.teardown = undefined;
    teardown?.unsubscribe();
  }
}
