// `runstate worker --kinds MODULE`: the CLI (bundled, a copy of runstate of its own) loads a user's module of kinds
// made with defineKind (loaded through tsx, from src/: another copy) and steps their durable watches on real
// Redis, against the test kind's real HTTP server. A webhook the server sends to a hub in this process reaches the
// worker through the queue (connectHub), as from any instance.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createWebhookHub } from '../../../src/index.js';
import { connectHub, createRunQueue } from '../../../src/queue/index.js';
import { makeWebhookSecret } from '../../helpers/sign-webhook.js';
import { messageBatch } from '../../kinds/message-batch-kind.js';
import { startMessageBatchServer } from '../../kinds/message-batch-server.js';
import { REDIS, uniqueQueueName } from '../../queue/fixture.js';
import { cliEnv, killLeftovers, runCli, startCli } from '../run-cli.js';

let cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});
afterAll(() => killLeftovers());

const redisUrl = `redis://${REDIS.host}:${REDIS.port}`;
const env = (extra: Record<string, string> = {}) => cliEnv({ OPENAI_API_KEY: 'unused', ...extra });

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('runstate worker --kinds', () => {
  it('says clearly when the module is missing, or exports no kinds', async () => {
    const missing = await runCli(
      ['worker', '--redis', redisUrl, '--kinds', 'test/cli/worker/not-there.ts'],
      env(),
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--kinds test\/cli\/worker\/not-there\.ts: cannot load it \(/);
    const none = await runCli(
      ['worker', '--redis', redisUrl, '--kinds', 'test/cli/worker/no-kinds.ts'],
      env(),
    );
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain(
      '--kinds test/cli/worker/no-kinds.ts: exports no kinds made with defineKind (import it from runstate/kinds, export what it returns)',
    );
  }, 60_000);

  it("steps a defined kind's durable watch to its end, woken by its webhook through the queue", async () => {
    const secret = makeWebhookSecret();
    const hub = createWebhookHub({ secret });
    const endpoint: Server = createServer(hub.node);
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          endpoint.closeAllConnections();
          endpoint.close(() => resolve());
        }),
    );
    const { port } = endpoint.address() as AddressInfo;
    const server = await startMessageBatchServer({
      webhooks: { url: `http://127.0.0.1:${port}/hook`, secret },
    });
    cleanup.push(() => server.close());

    const name = uniqueQueueName('cli-kinds');
    const runs = await createRunQueue({ connection: REDIS, name });
    cleanup.push(async () => {
      await runs.obliterate();
      await runs.close();
    });
    const bridge = connectHub(hub, name, REDIS);
    cleanup.push(() => bridge.close());

    const worker = startCli(
      ['worker', '--redis', redisUrl, '--name', name, '--kinds', 'test/cli/worker/message-batch-kinds.ts'],
      env({ MESSAGE_BATCH_URL: server.baseURL }),
    );
    cleanup.push(async () => {
      if (worker.child.exitCode === null) {
        worker.child.kill('SIGTERM');
        await worker.exit;
      }
    });
    await worker.waitFor('stdout', /worker ready: .*kinds anthropic\.message_batch/, 40_000);

    // Many requests: the batch stays in progress until the test ends it, whatever the worker's schedule.
    const created = await server.create(1000);
    const ref = messageBatch.ref({ id: created.id });
    await runs.watch(ref);
    // Once it read the batch, the worker's next read is 10 s away (the kind's own poll schedule, which a worker
    // given no poll option follows)...
    await until('the worker read the batch', () => server.requests(created.id).retrieves >= 1);
    // ...and the work finishes between two reads: the webhook, not the next poll, tells the worker.
    expect(await server.finish(created.id)).toBe(200);
    const last = await runs.result(ref);
    expect(last).toMatchObject({
      kind: 'anthropic.message_batch',
      id: created.id,
      state: 'completed',
      status: 'ended',
      done: true,
      progress: { completed: 1000, failed: 0, total: 1000 },
    });
    expect(last.job).toMatchObject({ id: created.id, processing_status: 'ended' });
    // The event found the watch by the id the kind reads (`data.batch_id`), and woke it.
    expect(bridge.stats()).toEqual({ promoted: 1, dropped: 0 });
    expect(last.calls).toBe(server.requests(created.id).retrieves);
    // Its first read, and the one the webhook woke it for: no poll of the kind's schedule came due between them.
    expect(last.calls).toBe(2);
    worker.child.kill('SIGTERM');
    const exit = await worker.exit;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/worker stopped after \d+ steps/);
    // A worker process loading a TypeScript module through tsx takes seconds to start on a loaded machine.
  }, 60_000);
});
