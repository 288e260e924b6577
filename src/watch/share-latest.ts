import { Observable, type Subscriber, type Subscription } from 'rxjs';

/**
 * Shares one subscription to `source` among every subscriber, replaying the latest value to a late one: what
 * `share({ connector: () => new ReplaySubject(1), resetOnError: true, resetOnComplete: false,
 * resetOnRefCountZero: true })` does, written out because that pipeline (a ReplaySubject with its two arrays, three
 * subscribers and their closures) was a tenth of an idle watch's heap (docs/benchmarks.md).
 * - After `source` completes, a new subscriber gets the latest value and completes: nothing is subscribed again.
 * - After `source` errors, or once every subscriber has left, the next subscriber starts `source` anew.
 */
export function shareLatest<T>(source: Observable<T>): Observable<T> {
  let subscribers: Subscriber<T>[] = [];
  let connection: Subscription | undefined;
  let latest: { value: T } | undefined;
  let completed = false;
  const reset = () => {
    const connected = connection;
    connection = undefined;
    latest = undefined;
    subscribers = [];
    connected?.unsubscribe();
  };
  return new Observable<T>((subscriber) => {
    if (latest) subscriber.next(latest.value);
    if (completed) {
      subscriber.complete();
      return;
    }
    subscribers.push(subscriber);
    if (!connection) {
      const connected = source.subscribe({
        next: (value) => {
          latest = { value };
          for (const s of [...subscribers]) s.next(value);
        },
        error: (error: unknown) => {
          const current = subscribers;
          reset();
          for (const s of current) s.error(error);
        },
        complete: () => {
          completed = true;
          const current = subscribers;
          subscribers = [];
          connection = undefined;
          for (const s of current) s.complete();
        },
      });
      // The source may have ended while subscribing: then there is nothing to keep.
      if (!completed && !connected.closed) connection = connected;
    }
    return () => {
      const index = subscribers.indexOf(subscriber);
      if (index < 0) return;
      subscribers.splice(index, 1);
      if (subscribers.length === 0 && !completed) reset();
    };
  });
}
