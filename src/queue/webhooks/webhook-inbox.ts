import { isJobTerminal } from '../../model/states.js';
import type { KindAdapter } from '../../model/types.js';
import type { WebhookEvent } from '../../webhooks/event.js';
import { RUNSTATE_KEY_PREFIX } from '../job-id.js';

/**
 * What a worker does with a verified webhook event about a watch, like `webhookSource({ fetch })`:
 * - `always`: the event only makes the watch step now, and the step reads the job (every snapshot carries the
 *   full object: output, usage, `last_error`);
 * - `when-needed`: a terminal event is applied as it is, without a read (the job ends with the status the event
 *   names, and no API object); any other event still reads, since its state carries data (`requires_action`'s
 *   tool calls, `expires_at`).
 */
export type QueueWebhookFetch = 'always' | 'when-needed';

/** The part of a verified event a step needs, as the bridge leaves it beside the watch's job. */
export interface InboxEvent {
  /** The event type (`response.completed`, …). */
  type: string;
  /** Epoch ms of the change (`created_at`, whole seconds). */
  at: number;
  /** The delivery's `webhook-id`. */
  webhookId: string;
}

/** The Redis key (under the queue's own prefix) of the list of events waiting for a watch's next step. */
export function inboxKeyType(watchId: string): string {
  return `${RUNSTATE_KEY_PREFIX}webhooks:${watchId}`;
}

/** How long events wait for their watch's next step; a watch sleeps minutes at most between steps. */
export const INBOX_TTL_MS = 24 * 3600_000;

/** One list entry: a compact JSON of the event. */
export function encodeInboxEvent(event: WebhookEvent): string {
  const entry: InboxEvent = { type: event.type, at: event.created_at * 1000, webhookId: event.webhookId };
  return JSON.stringify(entry);
}

/** Reads list entries back; an entry that is not one (hand-edited, another version) is skipped, not applied. */
export function decodeInbox(entries: readonly string[]): InboxEvent[] {
  const events: InboxEvent[] = [];
  for (const entry of entries) {
    try {
      const e = JSON.parse(entry) as Partial<InboxEvent>;
      if (typeof e.type === 'string' && typeof e.at === 'number' && typeof e.webhookId === 'string') {
        events.push({ type: e.type, at: e.at, webhookId: e.webhookId });
      }
    } catch {
      // Not JSON: nothing to apply; the step reads the job as usual.
    }
  }
  return events;
}

/**
 * The status a step applies without a read, or undefined when the event needs one (or means nothing to this
 * kind): the same rule as `webhookSource(hub, { fetch: 'when-needed' })`.
 */
export function appliedStatus(
  // biome-ignore lint/suspicious/noExplicitAny: chosen at run time by kind
  adapter: KindAdapter<any>,
  event: InboxEvent,
  fetch: QueueWebhookFetch,
): string | undefined {
  if (fetch === 'always') return undefined;
  const status = adapter.webhookStatus(event.type);
  if (status === undefined) return undefined;
  return isJobTerminal(adapter.mapStatus(status)) ? status : undefined;
}
