import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express from 'express';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatWatchData } from '../../src/dashboard/index.js';
import { jobKey, type RunSnapshot } from '../../src/index.js';
import { type QueueFixture, queueFixture } from '../queue/fixture.js';

// docs/dashboard.md's bull-board setup, mounted on a queue of real watches: what bull-board's own API shows of a
// runstate job is the watch's view (formatWatchData), never the raw machine snapshot with its API object.

let fixture: QueueFixture;
beforeAll(async () => {
  fixture = await queueFixture('bull-board', { speed: 50 });
  await fixture.addWorker();
});
afterAll(async () => {
  await fixture?.close();
});

describe('bull-board on the same queue, with formatWatchData', () => {
  it("lists a watch's job as its view, read-only, with the state as its return value", async () => {
    const ref = await fixture.createResponse({ phases: { queued: 200, in_progress: 500 } });
    await fixture.runs.watch(ref);
    await firstValueFrom(fixture.runs.observe(ref).pipe(filter((s) => s.done)));

    // As docs/dashboard.md mounts it.
    const adapter = new BullMQAdapter(fixture.runs.queue, { readOnlyMode: true });
    adapter.setFormatter('data', formatWatchData);
    adapter.setFormatter('returnValue', (snapshot?: RunSnapshot) => ({
      state: snapshot?.state,
      status: snapshot?.status,
    }));
    const serverAdapter = new ExpressAdapter().setBasePath('/bull');
    createBullBoard({ queues: [adapter], serverAdapter });
    const app = express();
    app.use('/bull', serverAdapter.getRouter());
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const { port } = server.address() as AddressInfo;
      const query = new URLSearchParams({
        activeQueue: fixture.name,
        status: 'completed',
        page: '1',
        jobsPerPage: '10',
      });
      const answer = await fetch(`http://127.0.0.1:${port}/bull/api/queues?${query}`);
      expect(answer.status).toBe(200);
      const { queues } = (await answer.json()) as {
        queues: { name: string; readOnlyMode: boolean; jobs: { data: unknown; returnValue: unknown }[] }[];
      };
      const queue = queues.find((q) => q.name === fixture.name)!;
      expect(queue.readOnlyMode).toBe(true);
      const listed = queue.jobs.find((j) => (j.data as { key?: string }).key === jobKey(ref));
      expect(listed?.data).toMatchObject({
        key: jobKey(ref),
        kind: 'response',
        state: 'completed',
        done: true,
      });
      // The view, not the stored data: no machine snapshot, no API object.
      expect(listed?.data).not.toHaveProperty('snapshot');
      expect(JSON.stringify(listed?.data)).not.toContain('"object":"response"');
      expect(listed?.returnValue).toEqual({ state: 'completed', status: 'completed' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
