import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  generateWebhookSecret,
  type ManualClock,
  type Simulator,
  type SimulatorOptions,
} from '../../../src/sim/index.js';
import { assistantAndThread, manualSim, scenarioMeta } from '../../helpers/sim.js';
import { type Received, startReceiver } from '../../helpers/sim-receiver.js';

let sim: Simulator<ManualClock>;
let client: OpenAI;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const secret = generateWebhookSecret();

afterEach(async () => {
  await sim?.close();
  await receiver?.close();
});

/** Verifies like a real receiver would: 400 when unwrap throws. */
const verifying = async (_n: number, r: Received) => {
  try {
    await client.webhooks.unwrap(r.body, r.headers as Record<string, string>, secret);
    return 200;
  } catch {
    return 400;
  }
};

async function start(
  options: Omit<SimulatorOptions, 'clock'> = {},
  respond: Parameters<typeof startReceiver>[0] = verifying,
) {
  receiver = await startReceiver(respond);
  ({ sim, client } = await manualSim({ ...options, webhooks: { url: receiver.url, secret } }));
}

const phases = { queued: 1000, in_progress: 1000 };
const backgroundResponse = (scenario: object = {}) =>
  client.responses.create({
    model: 'gpt-4o-mini',
    input: 'hi',
    background: true,
    metadata: scenarioMeta({ phases, ...scenario }),
  });

describe('webhook delivery', () => {
  it('delivers response.completed, signed so that client.webhooks.unwrap accepts it', async () => {
    await start();
    const created = await backgroundResponse();
    await sim.clock.advance(2000);
    await sim.flushWebhooks();
    expect(receiver.received).toHaveLength(1);
    const [{ body, headers }] = receiver.received as [Received];
    const event = await client.webhooks.unwrap(body, headers as Record<string, string>, secret);
    expect(event).toMatchObject({
      type: 'response.completed',
      data: { id: created.id },
      object: 'event',
      created_at: Math.floor(sim.job(created.id)!.endedAt! / 1000),
    });
    expect(event.id).toMatch(/^evt_/);
    expect(headers['webhook-id']).toMatch(/^wh_/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(Number(headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toBe('OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)');
    await expect(
      client.webhooks.unwrap(body, headers as Record<string, string>, generateWebhookSecret()),
    ).rejects.toThrow(OpenAI.InvalidWebhookSignatureError);
    expect(sim.stats().webhooks).toMatchObject({
      events: 1,
      attempts: 1,
      delivered: 1,
      retried: 0,
      failed: 0,
    });
  });

  it('sends nothing for a response created without background: its caller already has the answer', async () => {
    await start();
    const sync = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi' });
    expect(sync.status).toBe('completed');
    const created = await backgroundResponse();
    await sim.clock.advance(2000);
    await sim.flushWebhooks();
    const events = await Promise.all(
      receiver.received.map(({ body, headers }) =>
        client.webhooks.unwrap(body, headers as Record<string, string>, secret),
      ),
    );
    expect(events.map((e) => [e.type, (e.data as { id: string }).id])).toEqual([
      ['response.completed', created.id],
    ]);
    expect(sim.stats().webhooks.events).toBe(1);
  });

  it('sends response.failed|cancelled|incomplete and batch.completed|failed|expired|cancelled', async () => {
    await start();
    await backgroundResponse({ outcome: 'failed' });
    await backgroundResponse({ outcome: 'incomplete' });
    const toCancel = await backgroundResponse();
    await client.responses.cancel(toCancel.id);
    const batch = (scenario: object) =>
      client.batches.create({
        input_file_id: 'file-x',
        endpoint: '/v1/responses',
        completion_window: '24h',
        metadata: scenarioMeta({
          anyInputFile: true,
          phases: { validating: 100, in_progress: 100, finalizing: 100, cancelling: 100 },
          ...scenario,
        }),
      });
    await batch({});
    await batch({ outcome: 'failed' });
    await batch({ outcome: 'expired', expiresAfterMs: 1000 });
    await batch({ outcome: 'cancelled' });
    await sim.clock.advance(2000);
    await sim.flushWebhooks();
    const types = await Promise.all(
      receiver.received.map(
        async (r) => (await client.webhooks.unwrap(r.body, r.headers as never, secret)).type,
      ),
    );
    expect(types.sort()).toEqual([
      'batch.cancelled',
      'batch.completed',
      'batch.expired',
      'batch.failed',
      'response.cancelled',
      'response.failed',
      'response.incomplete',
    ]);
  });

  it('sends no thread.run.* webhooks unless asked: OpenAI sends none, and clients misread them', async () => {
    await start({ scenario: { phases } });
    const { assistantId, threadId } = await assistantAndThread(client);
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    await backgroundResponse();
    await sim.clock.advance(2000);
    await sim.flushWebhooks();
    expect(sim.job(run.id)!.timeline.at(-1)!.status).toBe('completed');
    // The response's event is delivered; the run's three statuses sent nothing.
    expect(receiver.received.map((r) => JSON.parse(r.body).type)).toEqual(['response.completed']);
  });

  it('sends thread.run.<status> for every run status with runWebhooks (a simulator extension), with thread_id', async () => {
    await start({ scenario: { phases, toolCalls: [[{ name: 'f' }]] }, runWebhooks: true });
    const { assistantId, threadId } = await assistantAndThread(client);
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    await sim.clock.advance(2000);
    const waiting = await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId });
    const callId = waiting.required_action!.submit_tool_outputs.tool_calls[0]!.id;
    await client.beta.threads.runs.submitToolOutputs(run.id, {
      thread_id: threadId,
      tool_outputs: [{ tool_call_id: callId, output: 'ok' }],
    });
    await sim.clock.advance(2000);
    await sim.flushWebhooks();
    const events = receiver.received.map((r) => JSON.parse(r.body));
    expect(events.map((e) => e.type)).toEqual([
      'thread.run.queued',
      'thread.run.in_progress',
      'thread.run.requires_action',
      'thread.run.queued',
      'thread.run.in_progress',
      'thread.run.completed',
    ]);
    expect(events.every((e) => e.data.id === run.id && e.data.thread_id === threadId)).toBe(true);
    // created_at is when the status was reached by the script.
    const timeline = sim.job(run.id)!.timeline;
    expect(events.map((e) => e.created_at)).toEqual(timeline.map((s) => Math.floor(s.at / 1000)));
  });

  it('retries after a 500 from the receiver on the clock, keeping the webhook-id', async () => {
    await start({}, (n) => (n === 1 ? 500 : 200));
    await backgroundResponse();
    await sim.clock.advance(2000);
    await sim.flushWebhooks();
    expect(receiver.received).toHaveLength(1);
    await sim.clock.advance(4999);
    await sim.flushWebhooks();
    expect(receiver.received).toHaveLength(1);
    await sim.clock.advance(1);
    await sim.flushWebhooks();
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received as [Received, Received];
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.body).toBe(first.body);
    expect(sim.stats().webhooks).toMatchObject({ attempts: 2, retried: 1, delivered: 1, failed: 0 });
    expect(sim.webhookDeliveries()[0]?.attempts.map((a) => a.status)).toEqual([500, 200]);
  });

  it('gives up after maxAttempts', async () => {
    await start({ webhookDelivery: { retryDelaysMs: [100], maxAttempts: 3 } }, () => 503);
    await backgroundResponse();
    await sim.clock.advance(2000);
    for (let i = 0; i < 4; i++) {
      await sim.flushWebhooks();
      await sim.clock.advance(100);
    }
    await sim.flushWebhooks();
    expect(receiver.received).toHaveLength(3);
    expect(sim.stats().webhooks).toMatchObject({ attempts: 3, retried: 2, delivered: 0, failed: 1 });
    expect(sim.webhookDeliveries()[0]?.state).toBe('failed');
  });

  it('stops delivering and retrying after close()', async () => {
    await start({}, () => 500);
    await backgroundResponse();
    await sim.clock.advance(2000);
    await sim.flushWebhooks();
    await sim.close();
    await sim.clock.advance(3_600_000);
    expect(receiver.received).toHaveLength(1);
    expect(sim.clock.pending).toBe(0);
  });
});

describe('webhook faults', () => {
  it('delivers a corrupted signature that unwrap rejects, then a good one on retry', async () => {
    await start({ faults: { webhooks: { badSignature: { next: 1 } } } });
    await backgroundResponse();
    await sim.clock.advance(2000);
    await sim.flushWebhooks();
    const [bad] = receiver.received as [Received];
    await expect(client.webhooks.unwrap(bad.body, bad.headers as never, secret)).rejects.toThrow(
      OpenAI.InvalidWebhookSignatureError,
    );
    await sim.clock.advance(5000);
    await sim.flushWebhooks();
    const good = receiver.received[1]!;
    expect(good.headers['webhook-id']).toBe(bad.headers['webhook-id']);
    expect((await client.webhooks.unwrap(good.body, good.headers as never, secret)).type).toBe(
      'response.completed',
    );
    expect(sim.stats().webhooks).toMatchObject({ badSignatures: 1, delivered: 1, retried: 1 });
    expect(sim.webhookDeliveries()[0]?.attempts.map((a) => [a.status, a.badSignature])).toEqual([
      [400, true],
      [200, false],
    ]);
  });

  it('duplicates a delivery with the same webhook-id', async () => {
    await start({ faults: { webhooks: { duplicate: { next: 1, copies: 2 } } } });
    await backgroundResponse();
    await sim.clock.advance(2000);
    await sim.flushWebhooks();
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const r of receiver.received) await client.webhooks.unwrap(r.body, r.headers as never, secret);
    expect(sim.stats().webhooks).toMatchObject({ duplicated: 2, delivered: 3, events: 1 });
  });

  it('drops a delivery by event type', async () => {
    await start({ faults: { webhooks: { drop: { probability: 1, types: ['response.failed'] } } } });
    await backgroundResponse({ outcome: 'failed' });
    await backgroundResponse();
    await sim.clock.advance(2000);
    await sim.flushWebhooks();
    expect(receiver.received.map((r) => JSON.parse(r.body).type)).toEqual(['response.completed']);
    expect(sim.stats().webhooks).toMatchObject({ dropped: 1, delivered: 1 });
    expect(sim.webhookDeliveries().map((d) => d.state)).toEqual(['dropped', 'delivered']);
  });

  it('reorders: a held event arrives after a later one', async () => {
    await start({
      scenario: { phases },
      faults: { webhooks: { reorder: { next: 1, types: ['thread.run.queued'], holdMs: 60_000 } } },
      runWebhooks: true,
    });
    const { assistantId, threadId } = await assistantAndThread(client);
    await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    await sim.clock.advance(999);
    await sim.flushWebhooks();
    expect(receiver.received).toHaveLength(0);
    await sim.clock.advance(1);
    await sim.flushWebhooks();
    await sim.clock.advance(0);
    await sim.flushWebhooks();
    expect(receiver.received.map((r) => JSON.parse(r.body).type)).toEqual([
      'thread.run.in_progress',
      'thread.run.queued',
    ]);
  });

  it('keeps a held event held when an earlier attempt, in flight when the hold began, ends', async () => {
    let answerFirst = () => {};
    const firstAnswered = new Promise<void>((resolve) => {
      answerFirst = resolve;
    });
    await start(
      {
        scenario: { phases },
        faults: { webhooks: { reorder: { next: 1, types: ['thread.run.in_progress'], holdMs: 60_000 } } },
        runWebhooks: true,
      },
      // The receiver sits on the queued event's delivery until in_progress is held behind it.
      async (n, r) => {
        if (n === 1) await firstAnswered;
        return verifying(n, r);
      },
    );
    const { assistantId, threadId } = await assistantAndThread(client);
    await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    await sim.clock.advance(0);
    await expect.poll(() => receiver.received.length).toBe(1);
    await sim.clock.advance(1000);
    answerFirst();
    await sim.flushWebhooks();
    const types = () => receiver.received.map((r) => JSON.parse(r.body).type);
    expect(types()).toEqual(['thread.run.queued']);
    await sim.clock.advance(1000);
    await sim.flushWebhooks();
    await sim.clock.advance(0);
    await sim.flushWebhooks();
    expect(types()).toEqual(['thread.run.queued', 'thread.run.completed', 'thread.run.in_progress']);
  });

  it('delays the first attempt by clock time', async () => {
    await start({ faults: { webhooks: { delay: { probability: 1, ms: 30_000 } } } });
    await backgroundResponse();
    await sim.clock.advance(2000 + 29_999);
    await sim.flushWebhooks();
    expect(receiver.received).toHaveLength(0);
    await sim.clock.advance(1);
    await sim.flushWebhooks();
    expect(receiver.received).toHaveLength(1);
  });
});
