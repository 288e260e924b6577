import type { QueueEvents } from 'bullmq';

/** The events of a job that `observe` follows, with BullMQ's payloads. */
export interface JobEvents {
  progress: { jobId: string; data: unknown };
  completed: { jobId: string; returnvalue: unknown };
  failed: { jobId: string; failedReason: string };
}

type Handler<T> = (payload: T) => void;

/** Hands each event of a QueueEvents to the handlers of its job alone. */
export interface JobEventRouter {
  /** Calls `handler` for each `type` event of `jobId`; returns the function that stops it. */
  on<K extends keyof JobEvents>(type: K, jobId: string, handler: Handler<JobEvents[K]>): () => void;
}

/**
 * One listener per event type, whatever the number of observers. A listener per observer would make each event
 * cost one call per watch observed: quadratic in the watches followed by one process (10,000 `result()` calls and
 * their 30,000 events were 300 million calls).
 */
export function routeByJob(events: QueueEvents): JobEventRouter {
  const routes = new Map<keyof JobEvents, Map<string, Set<Handler<never>>>>();
  const table = (type: keyof JobEvents) => {
    let byJob = routes.get(type);
    if (!byJob) {
      const created = new Map<string, Set<Handler<never>>>();
      byJob = created;
      routes.set(type, created);
      events.on(type, (payload: { jobId: string }) => {
        const handlers = created.get(payload.jobId);
        if (!handlers) return;
        for (const h of [...handlers]) (h as Handler<typeof payload>)(payload);
      });
    }
    return byJob;
  };
  return {
    on(type, jobId, handler) {
      const byJob = table(type);
      let handlers = byJob.get(jobId);
      if (!handlers) {
        handlers = new Set();
        byJob.set(jobId, handlers);
      }
      handlers.add(handler as Handler<never>);
      return () => {
        handlers.delete(handler as Handler<never>);
        if (handlers.size === 0 && byJob.get(jobId) === handlers) byJob.delete(jobId);
      };
    },
  };
}
