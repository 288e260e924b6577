import type OpenAI from 'openai';
import type { Batch } from 'openai/resources/batches';
import type { Response } from 'openai/resources/responses/responses';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BatchResult, batchResults } from '../../src/batches/results.js';
import {
  BatchNotEndedError,
  MalformedResultLineError,
  RetriesExhaustedError,
} from '../../src/errors/index.js';
import type { ManualClock, Scenario, Simulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { manualSim, scenarioMeta } from '../helpers/sim.js';

// A manual clock: each test moves the batch to its end by hand, then reads its files through the official SDK.
let sim: Simulator<ManualClock>;
let client: OpenAI;

beforeEach(async () => {
  ({ sim, client } = await manualSim({ seed: 5 }));
});
afterEach(async () => {
  await sim.close();
});

/** Uploads an input file of `n` requests with custom ids `task-1..n` and creates a batch of it. */
async function createBatch(n: number, scenario: Scenario): Promise<Batch> {
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      custom_id: `task-${i + 1}`,
      method: 'POST',
      url: '/v1/responses',
      body: { model: 'gpt-4o-mini', input: `item ${i + 1}` },
    }),
  );
  const file = await client.files.create({
    file: new File([`${lines.join('\n')}\n`], 'input.jsonl'),
    purpose: 'batch',
  });
  return client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/responses',
    completion_window: '24h',
    metadata: scenarioMeta({ phases: { validating: 100, in_progress: 1000, finalizing: 100 }, ...scenario }),
  });
}

const all = <Body>(o: ReturnType<typeof batchResults<Body>>) => lastValueFrom(o.pipe(toArray()));

describe('batchResults()', () => {
  it('gives every result of a completed batch, output then errors, each paired with its custom_id', async () => {
    const created = await createBatch(12, { failedRequests: [2, 7], reply: 'ok' });
    await sim.clock.advance(5000);
    const batch = await client.batches.retrieve(created.id);
    expect(batch.status).toBe('completed');
    const results = await all(batchResults<Response>(client, batch));

    expect(results).toHaveLength(12);
    expect(new Set(results.map((r) => r.customId))).toEqual(
      new Set(Array.from({ length: 12 }, (_, i) => `task-${i + 1}`)),
    );
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((r) => [r.customId, r.file, r.line])).toEqual([
      ['task-3', 'error', 1],
      ['task-8', 'error', 2],
    ]);
    expect(failed[0]!.error).toEqual({ code: 'server_error', message: expect.any(String) });
    const ok = results.filter((r) => r.ok);
    expect(ok.map((r) => r.line)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(ok.every((r) => r.file === 'output' && r.response?.status_code === 200)).toBe(true);
    // The body is typed as asked: a Response whose text is the scenario's reply.
    const body = ok[0]!.response!.body;
    expect(body.output[0]).toMatchObject({ type: 'message', content: [{ text: 'ok' }] });
    // Also from the id alone, and only the files asked for.
    const errorsOnly = await all(batchResults(client, batch.id, { files: ['error'] }));
    expect(errorsOnly.map((r) => r.customId)).toEqual(['task-3', 'task-8']);
  });

  it('includes the partial results of a cancelled batch and the requests that never ran', async () => {
    const created = await createBatch(20, { workMs: 10_000, phases: { in_progress: 10_000 } });
    await sim.clock.advance(4100);
    await client.batches.cancel(created.id);
    await sim.clock.advance(5000);
    const batch = await client.batches.retrieve(created.id);
    expect(batch.status).toBe('cancelled');
    const results: BatchResult[] = await all(batchResults(client, batch));
    const done = results.filter((r) => r.ok);
    expect(done.length).toBe(batch.request_counts!.completed);
    expect(done.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(20);
    const never = results.filter((r) => !r.ok);
    expect(never.every((r) => r.error?.code === 'batch_cancelled')).toBe(true);
    expect(results).toHaveLength(20);
  });

  it('fails with the line number of a malformed line, after the lines before it', async () => {
    const created = await createBatch(6, { malformedOutputLines: [4] });
    await sim.clock.advance(5000);
    const seen: BatchResult[] = [];
    const error = await new Promise<unknown>((resolve) =>
      batchResults(client, created.id).subscribe({
        next: (r) => seen.push(r),
        error: resolve,
        complete: () => resolve(undefined),
      }),
    );
    expect(seen.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(error).toBeInstanceOf(MalformedResultLineError);
    expect(error).toMatchObject({ code: 'malformed_result_line', file: 'output', line: 4 });
    expect((error as Error).message).toMatch(/^line 4 of the output file file-/);
  });

  it('refuses a batch that has not ended, with a typed error', async () => {
    const created = await createBatch(3, {});
    await expect(firstValueFrom(batchResults(client, created.id))).rejects.toBeInstanceOf(BatchNotEndedError);
    await expect(firstValueFrom(batchResults(client, created.id))).rejects.toMatchObject({
      code: 'batch_not_ended',
      batchStatus: 'validating',
    });
  });

  it('retries a failed download, and gives up after maxRetries with RetriesExhaustedError', async () => {
    const created = await createBatch(5, {});
    await sim.clock.advance(5000);
    sim.setFaults({ serverError: { next: 2, routes: ['files.content'] } });
    const results = await all(batchResults(client, created.id, { retryDelayMs: () => 1 }));
    expect(results.map((r) => r.customId)).toEqual(['task-1', 'task-2', 'task-3', 'task-4', 'task-5']);
    expect(sim.stats().requests.byRoute['files.content']).toMatchObject({
      total: 3,
      byStatus: { 200: 1, 500: 2 },
    });

    sim.setFaults({ serverError: { next: 3, routes: ['files.content'] } });
    await expect(
      all(batchResults(client, created.id, { maxRetries: 2, retryDelayMs: () => 1 })),
    ).rejects.toBeInstanceOf(RetriesExhaustedError);
  });

  it("waits for its retries on the given scheduler (the simulator's manual clock here)", async () => {
    const created = await createBatch(4, {});
    await sim.clock.advance(5000);
    sim.setFaults({ serverError: { next: 1, routes: ['files.content'] } });
    let lines = 0;
    let completed = false;
    batchResults(client, created.id, {
      scheduler: simScheduler(sim.clock),
      retryDelayMs: () => 60_000,
    }).subscribe({
      next: () => lines++,
      complete: () => {
        completed = true;
      },
    });
    // The first download failed; the retry waits a minute of simulated time (by setTimeout, the test would time out).
    await vi.waitFor(() =>
      expect(sim.stats().requests.byRoute['files.content']).toMatchObject({ byStatus: { 500: 1 } }),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect([lines, completed]).toEqual([0, false]);
    await sim.clock.advance(59_999);
    await new Promise((r) => setTimeout(r, 100));
    expect(lines).toBe(0);
    await sim.clock.advance(1);
    await vi.waitFor(() => expect(completed).toBe(true));
    expect(lines).toBe(4);
  });

  it('completes after take(5) on a 3,000-line file, without waiting for the rest (readLines cancels it)', async () => {
    const created = await createBatch(3000, {});
    await sim.clock.advance(5000);
    const first = await lastValueFrom(batchResults(client, created.id).pipe(take(5), toArray()));
    expect(first.map((r) => r.line)).toEqual([1, 2, 3, 4, 5]);
  });
});
