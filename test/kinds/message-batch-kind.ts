// The worked example of docs/kinds.md ("Kinds you define"): a kind runstate does not ship, defined outside src/
// with the public defineKind, against the test's own server (message-batch-server.ts).
import { defineKind } from '../../src/kinds/public.js';
import type { MessageBatch } from './message-batch-server.js';

/** Where the server listens: set by the test that starts it (a real deployment would use its API's address). */
export const api = { baseURL: '', key: 'test-key' };

const headers = () => ({ 'x-api-key': api.key, 'anthropic-version': '2023-06-01' });

export const messageBatch = defineKind({
  kind: 'anthropic.message_batch',
  ids: ['id'],
  // fetch's Response is handed back as it is: runstate reads the JSON, retries 429/5xx and fails fast on 401/404.
  retrieve: (ref, { signal }) =>
    fetch(`${api.baseURL}/v1/messages/batches/${ref.id}`, { headers: headers(), signal }),
  cancel: (ref, { signal }) =>
    fetch(`${api.baseURL}/v1/messages/batches/${ref.id}/cancel`, {
      method: 'POST',
      headers: headers(),
      signal,
    }),
  status: (batch: MessageBatch) => batch.processing_status,
  // `ended` covers every outcome: the per-request results say which succeeded.
  states: { in_progress: 'in_progress', canceling: 'cancelling', ended: 'completed' },
  expiresAt: (batch) => Date.parse(batch.expires_at),
  // Progress in the one shape every kind shares: `done` of `total`, with the kind's own counts beside them.
  progress: ({ request_counts: c }) => {
    const failed = c.errored + c.canceled + c.expired;
    return {
      completed: c.succeeded,
      failed,
      done: c.succeeded + failed,
      total: c.processing + c.succeeded + failed,
    };
  },
  progressUnit: 'requests',
  // A batch takes up to 24 hours: wait a little longer, and poll it by its age.
  maxWaitMs: 25 * 60 * 60_000,
  poll: {
    initialDelayMs: 10_000,
    factor: 1,
    maxDelayMs: 10_000,
    growth: { share: 0.15, maxDelayMs: 30 * 60_000 },
  },
  slimFields: ['id', 'type', 'processing_status', 'request_counts', 'expires_at'],
  // The test server's webhooks (Standard Webhooks, like OpenAI's): the type names the status it announces, and
  // the body names the batch in `data.batch_id`.
  webhooks: { 'message_batch.ended': 'ended' },
  webhookJobId: (event) => event.data.batch_id as string | undefined,
});
