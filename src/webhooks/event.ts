/**
 * A verified webhook event as OpenAI sends it (`{ id, type, created_at, data: { id } }`), plus the delivery's
 * `webhook-id` header (the idempotency key: the same across OpenAI's retries of one delivery).
 */
export interface WebhookEvent {
  /** The event id (`evt_…`). */
  id: string;
  /** `response.completed`, `batch.failed`, …; unknown types are kept, not rejected. */
  type: string;
  /** Unix seconds at which the event was created. */
  created_at: number;
  /** The object the event is about. Only `id` for job events: no status, no error details. */
  data: { id?: string; [key: string]: unknown };
  /** The `webhook-id` header of the delivery. */
  webhookId: string;
  /** Any other top-level field OpenAI adds (`object: 'event'`, …). */
  [key: string]: unknown;
}

/** Reads a parsed, verified body as an event; undefined when it lacks the fields every event has. */
export function toWebhookEvent(payload: unknown, webhookId: string): WebhookEvent | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const p = payload as Record<string, unknown>;
  if (typeof p.id !== 'string' || typeof p.type !== 'string' || typeof p.created_at !== 'number')
    return undefined;
  if (typeof p.data !== 'object' || p.data === null || Array.isArray(p.data)) return undefined;
  return { ...p, webhookId } as WebhookEvent;
}

/**
 * The job an event is about, when it names one: what the kind that reads the event's type says (a kind defined
 * with `defineKind` may name its job elsewhere), else `data.id`.
 */
export function eventJobId(
  event: WebhookEvent,
  kind?: { webhookJobId?(event: WebhookEvent): string | undefined },
): string | undefined {
  const id: unknown = kind?.webhookJobId ? kind.webhookJobId(event) : event.data.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
