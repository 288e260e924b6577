import { Observable, type Subscriber, type Subscription } from 'rxjs';
import type { StatusEvent } from '../model/types.js';

/**
 * A watch's source, subscribed before its actor exists. An idle watch holds no actor (docs/benchmarks.md, "Heap per
 * idle watched run"): the relay listens to the source, and the first thing it hears wakes the watch, whose actor
 * then adopts the subscription as its invoked `source` child through {@link adopt}. From then on the child owns it
 * exactly as if it had subscribed itself: what the source sent in between is replayed first, and stopping the child
 * (the machine leaving `watching`) unsubscribes the source.
 */
export class SourceRelay {
  private subscription: Subscription | undefined;
  private sink: Subscriber<StatusEvent> | undefined;
  private pending: StatusEvent[] | undefined;
  private ended: { error: unknown } | 'complete' | undefined;
  private closed = false;

  /**
   * @param owner its `wake()` starts the watch's actor (which calls {@link adopt}), at the first event or error; its
   * `repeats(event)` says when an event adds nothing to what the actor holds, and is left out (`repeat.ts`).
   */
  constructor(private readonly owner: { wake(): unknown; repeats(event: StatusEvent): boolean }) {}

  /** Subscribes to the watch's source, as its observer (an object, not three closures). */
  listen(source$: Observable<StatusEvent>): void {
    const subscription = source$.subscribe(this);
    // The source may have ended, or the watch closed, while subscribing (events held by a webhook hub arrive then).
    if (this.closed) subscription.unsubscribe();
    else this.subscription = subscription;
  }

  next(event: StatusEvent): void {
    if (this.sink) {
      if (!this.owner.repeats(event)) this.sink.next(event);
    } else {
      this.pending ??= [];
      this.pending.push(event);
      this.owner.wake();
    }
  }

  error(error: unknown): void {
    if (this.sink) this.sink.error(error);
    else {
      this.ended = { error };
      this.owner.wake();
    }
  }

  complete(): void {
    if (this.sink) this.sink.complete();
    else this.ended = 'complete';
  }

  /** The source as the actor's child sees it: what arrived so far, then the live subscription. */
  adopt(): Observable<StatusEvent> {
    return new Observable<StatusEvent>((subscriber) => {
      const pending = this.pending;
      this.pending = undefined;
      for (const event of pending ?? []) subscriber.next(event);
      const ended = this.ended;
      if (ended === 'complete') subscriber.complete();
      else if (ended) subscriber.error(ended.error);
      else this.sink = subscriber;
      return () => this.close();
    });
  }

  /** Unsubscribes from the source (the child stopped, or the watch ended). */
  close(): void {
    this.closed = true;
    this.sink = undefined;
    this.pending = undefined;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }
}
