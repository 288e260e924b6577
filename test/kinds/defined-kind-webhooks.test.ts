// A kind defined with defineKind (message-batch-kind.ts) under the webhook sources: its test server
// (message-batch-server.ts) sends signed Standard Webhooks deliveries over real sockets to a real hub, which reads
// their type and the job id (`data.batch_id`) through the kind; under stream(), which it cannot do; and under
// adaptivePoll, which learns its durations under the kind's name.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, lastValueFrom, filter as rxFilter, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adaptivePoll,
  createDurationModel,
  createWebhookHub,
  hybrid,
  poll,
  stream,
  type WebhookHub,
  watchRun,
  webhookSource,
} from '../../src/index.js';
import { makeWebhookSecret } from '../helpers/sign-webhook.js';
import { api, messageBatch } from './message-batch-kind.js';
import { type MessageBatchServer, startMessageBatchServer } from './message-batch-server.js';

const secret = makeWebhookSecret();
let hub: WebhookHub;
let endpoint: Server;
let server: MessageBatchServer;

beforeAll(async () => {
  endpoint = createServer((req, res) => hub.node(req, res));
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  const { port } = endpoint.address() as AddressInfo;
  server = await startMessageBatchServer({ webhooks: { url: `http://127.0.0.1:${port}/hook`, secret } });
  api.baseURL = server.baseURL;
});
afterAll(async () => {
  api.baseURL = '';
  await server?.close();
  endpoint?.closeAllConnections();
  await new Promise<void>((resolve) => (endpoint ? endpoint.close(() => resolve()) : resolve()));
});
// A fresh hub per test: its counters and buffers are the test's own.
let fresh = true;
afterEach(() => {
  fresh = true;
});
function newHub(): WebhookHub {
  expect(fresh).toBe(true);
  fresh = false;
  hub = createWebhookHub({ secret });
  return hub;
}

// Short safety-net schedules: the server moves one step per retrieve, so no clock is involved.
const quick = () => poll({ initialDelayMs: 5, factor: 1, maxDelayMs: 5 });

describe('a defined kind under webhookSource, hybrid and stream', () => {
  it('webhookSource: the signed delivery ends the watch, read once at start and once for the event', async () => {
    const hub = newHub();
    const created = await server.create(3);
    const run$ = watchRun({ job: messageBatch.ref({ id: created.id }), source: webhookSource(hub) });
    const all = lastValueFrom(run$.pipe(toArray()));
    // The read at start (the hub holds no event about the batch yet) sees it in progress.
    await firstValueFrom(run$.pipe(rxFilter((s) => s.state === 'in_progress')));
    expect(await server.finish(created.id)).toBe(200);
    const snapshots = await all;
    expect(snapshots.at(-1)).toMatchObject({
      kind: 'anthropic.message_batch',
      id: created.id,
      state: 'completed',
      status: 'ended',
      source: 'webhook',
      done: true,
      progress: { completed: 3, total: 3 },
    });
    // The event was the kind's (read by its `webhooks` table), routed by `data.batch_id`: none ignored.
    expect(hub.stats()).toMatchObject({ ignored: 0 });
    expect(server.requests(created.id).retrieves).toBe(2);
    expect(snapshots.at(-1)!.calls).toBe(2);
  });

  it("webhookSource with fetch 'never': ends on the announced status, with no request at all", async () => {
    const hub = newHub();
    const created = await server.create(2);
    const done = lastValueFrom(
      watchRun({
        job: messageBatch.ref({ id: created.id }),
        source: webhookSource(hub, { fetch: 'never', createdJustNow: true }),
      }),
    );
    expect(await server.finish(created.id)).toBe(200);
    const last = await done;
    expect(last).toMatchObject({ state: 'completed', status: 'ended', source: 'webhook', calls: 0 });
    // The announced job carries no counts: progress comes from read objects only.
    expect(last.progress).toBeUndefined();
    expect(server.requests(created.id).retrieves).toBe(0);
  });

  it('hybrid: the webhook ends the watch before its safety net polls; a lost one is found by the poll', async () => {
    const hub = newHub();
    // The kind's own schedule is the net (10 s first): the webhook comes long before it.
    const heard = await server.create(2);
    const heardDone = lastValueFrom(
      watchRun({
        job: messageBatch.ref({ id: heard.id }),
        source: hybrid(hub, undefined, { createdJustNow: true }),
      }),
    );
    expect(await server.finish(heard.id)).toBe(200);
    expect(await heardDone).toMatchObject({ state: 'completed', status: 'ended', source: 'webhook' });
    // One read, for the event (fetch 'always'); the net never fired.
    expect(server.requests(heard.id).retrieves).toBe(1);

    // A delivery lost on the way: the poll finds the end.
    const lost = await server.create(2);
    const lostDone = lastValueFrom(
      watchRun({
        job: messageBatch.ref({ id: lost.id }),
        source: hybrid(hub, quick(), { createdJustNow: true }),
      }),
    );
    expect(await server.finish(lost.id, { lose: true })).toBeUndefined();
    expect(await lostDone).toMatchObject({ state: 'completed', status: 'ended', source: 'poll' });
  });

  it('stream: a defined kind cannot stream, so its fallback watches it, and each snapshot says so', async () => {
    const created = await server.create(2);
    const snapshots = await lastValueFrom(
      watchRun({ job: messageBatch.ref({ id: created.id }), source: stream({ fallback: quick() }) }).pipe(
        toArray(),
      ),
    );
    const last = snapshots.at(-1)!;
    expect(last).toMatchObject({ state: 'completed', status: 'ended', source: 'poll', done: true });
    expect(last.note).toBe(
      `anthropic.message_batch ${created.id} cannot stream (only background responses and agent sessions do): watched by polling instead`,
    );
    expect(last.calls).toBe(server.requests(created.id).retrieves);
  });
});

describe('a defined kind under adaptivePoll', () => {
  it('is watched to its end and its durations are learned under its name', async () => {
    const model = createDurationModel();
    const source = adaptivePoll(model, { cold: { initialDelayMs: 5, factor: 1, maxDelayMs: 5 } });
    const batches = await Promise.all([1, 2].map((n) => server.create(n)));
    const ends = await Promise.all(
      batches.map((b) => lastValueFrom(watchRun({ job: messageBatch.ref({ id: b.id }), source }))),
    );
    expect(ends.map((s) => [s.state, s.status])).toEqual([
      ['completed', 'ended'],
      ['completed', 'ended'],
    ]);
    // The kind defines no durationDetail: its key is its name.
    expect(model.count('anthropic.message_batch')).toBe(2);
  });
});
