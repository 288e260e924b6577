import OpenAI, { toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock, Simulator } from '../../src/sim/index.js';
import { manualSim, scenarioMeta } from '../helpers/sim.js';

let sim: Simulator<ManualClock>;
let client: OpenAI;

afterEach(async () => {
  await sim?.close();
});

const phases = { validating: 1000, in_progress: 5000, finalizing: 1000, cancelling: 2000 };

const create = (scenario: object = {}) =>
  client.batches.create({
    input_file_id: 'file-anything',
    endpoint: '/v1/responses',
    completion_window: '24h',
    metadata: scenarioMeta({ phases, ...scenario }),
  });

describe('batches', () => {
  it('goes validating → in_progress → finalizing → completed, with timestamps and an output file', async () => {
    ({ sim, client } = await manualSim());
    const batch = await create({ requests: 3 });
    expect(batch).toMatchObject({ object: 'batch', status: 'validating', completion_window: '24h' });
    expect(batch.expires_at).toBe(batch.created_at + 24 * 3600);
    const seen: string[] = [];
    for (const ms of [1000, 5000, 1000]) {
      await sim.clock.advance(ms);
      seen.push((await client.batches.retrieve(batch.id)).status);
    }
    expect(seen).toEqual(['in_progress', 'finalizing', 'completed']);
    const done = await client.batches.retrieve(batch.id);
    expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(done.output_file_id).toMatch(/^file-/);
    expect(done.completed_at! - done.in_progress_at!).toBe(6);
  });

  it('fails during validation with errors', async () => {
    ({ sim, client } = await manualSim());
    const batch = await create({
      outcome: 'failed',
      error: { code: 'invalid_json_line', message: 'bad line' },
    });
    await sim.clock.advance(1000);
    const failed = await client.batches.retrieve(batch.id);
    expect(failed.status).toBe('failed');
    expect(failed.errors?.data?.[0]).toMatchObject({ code: 'invalid_json_line', message: 'bad line' });
  });

  it('expires at expires_at when scripted never to finish', async () => {
    ({ sim, client } = await manualSim());
    const batch = await create({ outcome: 'expired', expiresAfterMs: 60_000 });
    await sim.clock.set(batch.expires_at! * 1000 - 1);
    expect((await client.batches.retrieve(batch.id)).status).toBe('in_progress');
    await sim.clock.advance(1);
    expect(await client.batches.retrieve(batch.id)).toMatchObject({
      status: 'expired',
      expired_at: batch.expires_at,
    });
  });

  it('cancels through cancelling; cancelling an ended batch is a 400', async () => {
    ({ sim, client } = await manualSim());
    const batch = await create();
    await sim.clock.advance(2000);
    expect((await client.batches.cancel(batch.id)).status).toBe('cancelling');
    await sim.clock.advance(2000);
    expect(await client.batches.retrieve(batch.id)).toMatchObject({
      status: 'cancelled',
      cancelled_at: expect.any(Number),
    });
    const error = await client.batches.cancel(batch.id).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toBe("400 Cannot cancel a batch with status 'cancelled'.");
  });

  it('refuses a bad completion_window and accepts an uploaded file id', async () => {
    ({ sim, client } = await manualSim());
    const file = await client.files.create({
      file: await toFile(Buffer.from('{"custom_id":"1"}\n'), 'input.jsonl'),
      purpose: 'batch',
    });
    expect(file).toMatchObject({
      object: 'file',
      purpose: 'batch',
      filename: 'input.jsonl',
      status: 'processed',
    });
    const bad = await client.batches
      .create({ input_file_id: file.id, endpoint: '/v1/responses', completion_window: '1h' as '24h' })
      .catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.error.param).toBe('completion_window');
    const ok = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/responses',
      completion_window: '24h',
    });
    expect(ok.input_file_id).toBe(file.id);
  });
});
