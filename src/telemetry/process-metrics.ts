import { instruments } from './instruments.js';

/**
 * Counts one webhook delivery in `runstate.webhook.deliveries{result}`: `accepted`, `duplicate`, or the refusal
 * reason (`invalid_signature`, `replay_unprovable`, ...). A no-op without a metrics SDK.
 */
export function recordWebhookDelivery(result: string): void {
  instruments()?.webhookDeliveries.add(1, { result });
}

/** Records in `runstate.budget.wait{kind}` how long a due request waited for a token of the shared budget. */
export function recordBudgetWait(kind: string, ms: number): void {
  instruments()?.budgetWait.record(Math.max(0, ms) / 1000, { kind });
}
