import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhook } from '../helpers/sign-webhook.js';

/**
 * A small real HTTP server with a job lifecycle of its own, shaped like Anthropic's message batches: status
 * `processing_status` (in_progress, canceling, ended), counts in `request_counts`, times as ISO strings. A batch
 * moves one step per retrieve, so tests do not depend on a clock: each of its requests `succeeds` in turn, then it
 * ends. A cancel makes it `canceling`, and the next retrieve `ended` with the rest canceled. Given `webhooks`, it
 * sends a signed Standard Webhooks delivery `message_batch.ended` when a batch ends, naming the batch in
 * `data.batch_id` (not `data.id`: the kind says where to look).
 */
export interface MessageBatch {
  id: string;
  type: 'message_batch';
  processing_status: 'in_progress' | 'canceling' | 'ended';
  request_counts: {
    processing: number;
    succeeded: number;
    errored: number;
    canceled: number;
    expired: number;
  };
  created_at: string;
  ended_at: string | null;
  cancel_initiated_at: string | null;
  expires_at: string;
}

export interface MessageBatchServer {
  baseURL: string;
  /** Creates a batch of `requests` requests; with `rateLimitFirst`, its first retrieve answers 429. */
  create(requests: number, options?: { rateLimitFirst?: boolean }): Promise<MessageBatch>;
  /** Requests the server answered, by batch id: retrieves and cancels. */
  requests(id: string): { retrieves: number; cancels: number; limited: number };
  /**
   * Ends the batch now, every request left succeeding (as if its work finished between two retrieves), and
   * delivers its `message_batch.ended` webhook unless `lose` (a delivery lost on the way). Resolves with the
   * endpoint's HTTP status, or undefined when nothing was sent.
   */
  finish(id: string, options?: { lose?: boolean }): Promise<number | undefined>;
  /** Webhook deliveries sent, with the endpoint's answer. */
  readonly deliveries: readonly { type: string; batchId: string; status: number }[];
  close(): Promise<void>;
}

/** Where and how the server signs its webhooks. */
export interface MessageBatchWebhooks {
  url: string;
  secret: string;
}

export async function startMessageBatchServer(
  options: { webhooks?: MessageBatchWebhooks } = {},
): Promise<MessageBatchServer> {
  const deliveries: { type: string; batchId: string; status: number }[] = [];
  const sent = new Set<Promise<unknown>>();
  // One delivery per end, signed as OpenAI signs its own (Standard Webhooks); the body names the batch its own way.
  const deliver = async (batch: MessageBatch): Promise<number | undefined> => {
    const target = options.webhooks;
    if (!target) return undefined;
    const type = `message_batch.${batch.processing_status}`;
    const body = JSON.stringify({
      id: `evt_${randomBytes(8).toString('hex')}`,
      object: 'event',
      type,
      created_at: Math.floor(Date.now() / 1000),
      data: { batch_id: batch.id, request_counts: batch.request_counts },
    });
    const answer = await fetch(target.url, {
      method: 'POST',
      headers: signWebhook({ secret: target.secret, body }),
      body,
    });
    await answer.arrayBuffer();
    deliveries.push({ type, batchId: batch.id, status: answer.status });
    return answer.status;
  };
  const sendLater = (batch: MessageBatch) => {
    const p = deliver(batch).catch(() => undefined);
    sent.add(p);
    void p.then(() => sent.delete(p));
  };
  const batches = new Map<string, MessageBatch & { limitNext: boolean }>();
  const counts = new Map<string, { retrieves: number; cancels: number; limited: number }>();
  let serial = 0;
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const view = ({ limitNext: _, ...batch }: MessageBatch & { limitNext: boolean }): MessageBatch => batch;
  const step = (batch: MessageBatch) => {
    const c = batch.request_counts;
    if (batch.processing_status === 'canceling') {
      c.canceled += c.processing;
      c.processing = 0;
    } else if (c.processing > 0) {
      c.processing--;
      c.succeeded++;
      return;
    }
    batch.processing_status = 'ended';
    batch.ended_at = new Date().toISOString();
    sendLater(batch);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/v1\/messages\/batches\/([^/]+)(\/cancel)?$/.exec(req.url ?? '');
    if (req.headers['x-api-key'] !== 'test-key')
      return send(res, 401, { type: 'error', error: { type: 'authentication_error' } });
    const batch = match ? batches.get(match[1]!) : undefined;
    if (!match || !batch) return send(res, 404, { type: 'error', error: { type: 'not_found_error' } });
    const count = counts.get(batch.id)!;
    if (req.method === 'GET' && !match[2]) {
      count.retrieves++;
      if (batch.limitNext) {
        batch.limitNext = false;
        count.limited++;
        return send(res, 429, { type: 'error', error: { type: 'rate_limit_error' } }, { 'retry-after': '0' });
      }
      if (batch.processing_status !== 'ended') step(batch);
      return send(res, 200, view(batch));
    }
    if (req.method === 'POST' && match[2]) {
      count.cancels++;
      if (batch.processing_status === 'in_progress') {
        batch.processing_status = 'canceling';
        batch.cancel_initiated_at = new Date().toISOString();
      }
      return send(res, 200, view(batch));
    }
    return send(res, 405, { type: 'error', error: { type: 'invalid_request_error' } });
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    async create(requests, { rateLimitFirst = false } = {}) {
      const id = `msgbatch_${++serial}`;
      const now = new Date();
      const batch = {
        id,
        type: 'message_batch' as const,
        processing_status: 'in_progress' as const,
        request_counts: { processing: requests, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
        created_at: now.toISOString(),
        ended_at: null,
        cancel_initiated_at: null,
        expires_at: new Date(now.getTime() + 24 * 3600_000).toISOString(),
        limitNext: rateLimitFirst,
      };
      batches.set(id, batch);
      counts.set(id, { retrieves: 0, cancels: 0, limited: 0 });
      return view(batch);
    },
    requests: (id) => ({ ...counts.get(id)! }),
    async finish(id, { lose = false } = {}) {
      const batch = batches.get(id)!;
      const c = batch.request_counts;
      c.succeeded += c.processing;
      c.processing = 0;
      batch.processing_status = 'ended';
      batch.ended_at = new Date().toISOString();
      return lose ? undefined : deliver(view(batch));
    },
    deliveries,
    close: async () => {
      await Promise.allSettled([...sent]);
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      });
    },
  };
}
