import { type ConnectionOptions, Job, Queue } from 'bullmq';
import { allKindSpecs } from '../../kinds/registry.js';
import type { JobRef } from '../../model/types.js';
import { eventJobId, type WebhookEvent } from '../../webhooks/event.js';
import type { WebhookHub } from '../../webhooks/hub.js';
import { watchJobId } from '../job-id.js';
import { watchJobState } from '../job-state.js';
import { encodeInboxEvent, INBOX_TTL_MS, inboxKeyType } from './webhook-inbox.js';

/** A hub wired to a queue: counters, and a way to unwire it. */
export interface HubBridge {
  /**
   * `promoted`: events handed to a watch (left beside its job, which steps now or is already due or stepping);
   * `dropped`: no watch.
   */
  stats(): { promoted: number; dropped: number };
  close(): Promise<void>;
}

/** The watches an event could be about: one per kind that recognises its type. */
function candidates(event: WebhookEvent): JobRef[] {
  // The event names the job by its own id alone: ids beside it (a run's thread) are unknown, and the watch's
  // queue id is made of the job's own id only. Each kind says where its events name the job.
  return allKindSpecs().flatMap((spec) => {
    if (spec.webhookStatus(event.type) === undefined) return [];
    const id = eventJobId(event, spec);
    return id === undefined ? [] : [spec.refFromJobId(id, '') as JobRef];
  });
}

/**
 * Hands each verified event of a webhook hub to the durable watch of its job, in whichever process the hub
 * runs: the event is left beside the watch's job (a list its next step takes), and a sleeping watch is
 * promoted, so some worker steps it now. That step applies a terminal event without reading the job, or reads
 * it, as the worker's `webhookFetch` says. The hub already delivers
 * each `webhook-id` once (share its idempotency store in Redis across instances). Events for jobs nobody
 * watches are counted and dropped.
 */
export function connectHub(hub: WebhookHub, name: string, connection: ConnectionOptions): HubBridge {
  const queue = new Queue(name, { connection });
  queue.on('error', () => {});
  let promoted = 0;
  let dropped = 0;
  const pending = new Set<Promise<void>>();

  async function route(event: WebhookEvent): Promise<void> {
    for (const ref of candidates(event)) {
      const id = watchJobId(ref);
      const job = await Job.fromId(queue, id);
      if (!job) continue;
      // Left before the state is read: a worker that moves the watch to delayed reads the list after, so either
      // it sees this event or this bridge sees the watch delayed (and promotes it); the event never waits a poll.
      const redis = await queue.backend.client;
      const key = queue.toKey(inboxKeyType(id));
      await redis
        .multi()
        .runCommand('rpush', [key, encodeInboxEvent(event)])
        .runCommand('pexpire', [key, INBOX_TTL_MS])
        .exec();
      const state = await watchJobState(job);
      if (state === 'delayed') {
        // Another instance may promote it first; BullMQ then says it is not delayed, which is just as good.
        await job.promote().catch(() => {});
        promoted++;
        return;
      }
      // Waiting or active: a step will take the event.
      if (state === 'pending') {
        promoted++;
        return;
      }
      // The watch ended: nobody will take the event.
      await redis.del(key);
    }
    dropped++;
  }

  const subscription = hub.events$.subscribe((event) => {
    const p = route(event).catch(() => {
      dropped++;
    });
    pending.add(p);
    p.then(() => pending.delete(p));
  });

  return {
    stats: () => ({ promoted, dropped }),
    async close() {
      subscription.unsubscribe();
      await Promise.allSettled([...pending]);
      await queue.close();
    },
  };
}
