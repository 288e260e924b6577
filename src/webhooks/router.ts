import { Observable, type Subscriber } from 'rxjs';
import type { WebhookEvent } from './event.js';

/** Options of {@link createJobRouter}. */
export interface JobRouterOptions {
  /** How long an event stays available to watches that subscribe later, in ms. */
  bufferMs: number;
  /** At most this many events are kept; the oldest go first. */
  bufferMax: number;
  now: () => number;
}

/** Routes events to the watches of their job, and keeps recent ones for watches that have not subscribed yet. */
export interface JobRouter {
  route(jobId: string, event: WebhookEvent): void;
  /** The job's recent events (at most `bufferMs` old), then each new one. */
  events(jobId: string): Observable<WebhookEvent>;
  readonly buffered: number;
  readonly watching: number;
}

interface Held {
  jobId: string;
  event: WebhookEvent;
  until: number;
}

/**
 * Creates the router behind `hub.jobEvents`. Every routed event is held for `bufferMs`, also when a watch is
 * subscribed: a job that ends in 50 ms can send its webhook before `watchRun` subscribes, and a second watch of
 * the same job may start later. Replays are harmless: the machine drops events that do not move it forward.
 */
export function createJobRouter(options: JobRouterOptions): JobRouter {
  const held: Held[] = [];
  // A job's one watcher is kept as is, a Set only once a second one comes: most jobs have one watch, and a Set
  // per job was about 150 B of every idle webhook-fed watch (docs/benchmarks.md).
  const watchers = new Map<string, Subscriber<WebhookEvent> | Set<Subscriber<WebhookEvent>>>();

  // Held events are in arrival order, and one bufferMs applies to all, so expired ones are always at the front.
  function prune(): void {
    const now = options.now();
    let drop = 0;
    while (drop < held.length && (held[drop]!.until <= now || held.length - drop > options.bufferMax)) drop++;
    if (drop > 0) held.splice(0, drop);
  }

  return {
    route(jobId, event) {
      if (options.bufferMs > 0 && options.bufferMax > 0) {
        held.push({ jobId, event, until: options.now() + options.bufferMs });
        prune();
      }
      const subscribers = watchers.get(jobId);
      if (!subscribers) return;
      if (!(subscribers instanceof Set)) {
        subscribers.next(event);
        return;
      }
      // Copy: a subscriber may unsubscribe (or another subscribe) while we deliver.
      for (const subscriber of [...subscribers]) subscriber.next(event);
    },
    events(jobId) {
      return new Observable<WebhookEvent>((subscriber) => {
        prune();
        // A copy of the job's held events (replaying may route more); none to copy for most watches.
        for (const h of held.length === 0 ? held : held.filter((h) => h.jobId === jobId)) {
          if (subscriber.closed) return;
          subscriber.next(h.event);
        }
        const subscribers = watchers.get(jobId);
        if (!subscribers) watchers.set(jobId, subscriber);
        else if (subscribers instanceof Set) subscribers.add(subscriber);
        else watchers.set(jobId, new Set([subscribers, subscriber]));
        return () => {
          const current = watchers.get(jobId);
          if (current === subscriber) watchers.delete(jobId);
          else if (current instanceof Set) {
            current.delete(subscriber);
            if (current.size === 0) watchers.delete(jobId);
          }
        };
      });
    },
    get buffered() {
      prune();
      return held.length;
    },
    get watching() {
      return watchers.size;
    },
  };
}
