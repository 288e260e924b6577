import OpenAI, { toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock, Simulator } from '../../../../src/sim/index.js';
import { manualSim, scenarioMeta } from '../../../helpers/sim.js';

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
    metadata: scenarioMeta({ anyInputFile: true, phases, ...scenario }),
  });

/** Uploads a JSONL input file of `n` requests with custom_ids `task-1`..`task-n`. */
const upload = (n: number, model = 'gpt-4o-mini') =>
  client.files.create({
    file: new File(
      Array.from(
        { length: n },
        (_, i) =>
          `${JSON.stringify({ custom_id: `task-${i + 1}`, method: 'POST', url: '/v1/responses', body: { model, input: 'hi' } })}\n`,
      ),
      'input.jsonl',
    ),
    purpose: 'batch',
  });

/** A file's content through the SDK, split into parsed JSONL lines. */
const readLines = async (fileId: string) => {
  const text = await (await client.files.content(fileId)).text();
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
};

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

  it('moves request_counts while in_progress, counting failed requests as they finish', async () => {
    ({ sim, client } = await manualSim());
    const batch = await create({ requests: 10, failedRequests: 2 });
    await sim.clock.advance(1000); // validating → in_progress
    const seen = [];
    for (let i = 0; i < 5; i++) {
      seen.push((await client.batches.retrieve(batch.id)).request_counts);
      await sim.clock.advance(1000);
    }
    expect(seen).toEqual([
      { total: 10, completed: 0, failed: 0 },
      { total: 10, completed: 2, failed: 0 },
      { total: 10, completed: 4, failed: 0 },
      { total: 10, completed: 5, failed: 1 },
      { total: 10, completed: 7, failed: 1 },
    ]);
    await sim.clock.advance(2000);
    expect(await client.batches.retrieve(batch.id)).toMatchObject({
      status: 'completed',
      request_counts: { total: 10, completed: 8, failed: 2 },
    });
  });

  it('writes output and error files in the per-line shape, read through files.retrieve and files.content', async () => {
    ({ sim, client } = await manualSim());
    const input = await upload(4, 'gpt-4.1-mini');
    const batch = await client.batches.create({
      input_file_id: input.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: scenarioMeta({
        phases,
        failedRequests: [1],
        requestError: { status: 400, code: 'invalid_value', message: 'bad temperature' },
        responseBody: { answer: 42 },
      }),
    });
    expect(batch.model).toBe('gpt-4.1-mini');
    await sim.clock.advance(7000);
    const done = await client.batches.retrieve(batch.id);
    expect(done.request_counts).toEqual({ total: 4, completed: 3, failed: 1 });
    const output = await client.files.retrieve(done.output_file_id!);
    expect(output).toMatchObject({
      object: 'file',
      purpose: 'batch_output',
      filename: `${batch.id}_output.jsonl`,
      created_at: done.completed_at,
      status: 'processed',
    });
    const outputLines = await readLines(output.id);
    expect(Buffer.byteLength(outputLines.map((l) => `${JSON.stringify(l)}\n`).join(''))).toBe(output.bytes);
    expect(outputLines.map((l) => l.custom_id)).toEqual(['task-1', 'task-3', 'task-4']);
    expect(outputLines[0]).toEqual({
      id: expect.stringMatching(/^batch_req_[0-9a-f]{32}$/),
      custom_id: 'task-1',
      response: { status_code: 200, request_id: expect.stringMatching(/^req_/), body: { answer: 42 } },
      error: null,
    });
    expect(new Set(outputLines.map((l) => l.id)).size).toBe(3);
    const errorLines = await readLines(done.error_file_id!);
    expect(errorLines).toEqual([
      {
        id: expect.stringMatching(/^batch_req_/),
        custom_id: 'task-2',
        response: {
          status_code: 400,
          request_id: expect.stringMatching(/^req_/),
          body: {
            error: {
              message: 'bad temperature',
              type: 'invalid_request_error',
              param: null,
              code: 'invalid_value',
            },
          },
        },
        error: null,
      },
    ]);
    // The input file reads back as uploaded.
    expect((await (await client.files.content(input.id)).text()).split('\n')[0]).toContain(
      '"custom_id":"task-1"',
    );
  });

  it('gives a completed batch without failures no error file, and the default body of the endpoint', async () => {
    ({ sim, client } = await manualSim());
    const batch = await create({ requests: 2, reply: 'Paris.' });
    await sim.clock.advance(7000);
    const done = await client.batches.retrieve(batch.id);
    expect(done.error_file_id).toBeNull();
    const [line] = await readLines(done.output_file_id!);
    expect(line.response.body).toMatchObject({
      object: 'response',
      status: 'completed',
      output: [{ type: 'message', content: [{ type: 'output_text', text: 'Paris.', logprobs: [] }] }],
    });
  });

  it('keeps the partial results of a cancelled batch; the rest are batch_cancelled', async () => {
    ({ sim, client } = await manualSim());
    const batch = await create({ requests: 10, failedRequests: [0] });
    await sim.clock.advance(1000 + 2600); // 5 of 10 requests finished
    await client.batches.cancel(batch.id);
    await sim.clock.advance(5000);
    const cancelled = await client.batches.retrieve(batch.id);
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      request_counts: { total: 10, completed: 4, failed: 1 },
    });
    expect((await readLines(cancelled.output_file_id!)).map((l) => l.custom_id)).toEqual([
      'request-2',
      'request-3',
      'request-4',
      'request-5',
    ]);
    const errors = await readLines(cancelled.error_file_id!);
    expect(errors.map((l) => [l.custom_id, l.error?.code])).toEqual([
      ['request-1', 'server_error'],
      ...[6, 7, 8, 9, 10].map((n) => [`request-${n}`, 'batch_cancelled']),
    ]);
    expect(errors[1]).toMatchObject({
      response: null,
      error: { message: expect.stringContaining('cancelled') },
    });
  });

  it('keeps the partial results of an expired batch; the rest are batch_expired', async () => {
    ({ sim, client } = await manualSim());
    const batch = await create({ requests: 4, outcome: 'expired', expiresAfterMs: 60_000, workMs: 118_000 });
    await sim.clock.advance(61_000);
    const expired = await client.batches.retrieve(batch.id);
    expect(expired).toMatchObject({
      status: 'expired',
      request_counts: { total: 4, completed: 2, failed: 0 },
    });
    expect(await readLines(expired.output_file_id!)).toHaveLength(2);
    expect((await readLines(expired.error_file_id!)).map((l) => l.error.code)).toEqual([
      'batch_expired',
      'batch_expired',
    ]);
  });

  it('hides the result files until the batch ends', async () => {
    ({ sim, client } = await manualSim());
    const batch = await create({ requests: 2, failedRequests: 1 });
    await sim.clock.advance(3000);
    const running = await client.batches.retrieve(batch.id);
    expect(running.output_file_id).toBeNull();
    expect(running.error_file_id).toBeNull();
    await sim.clock.advance(4000);
    const done = await client.batches.retrieve(batch.id);
    expect((await client.files.list({ purpose: 'batch_output' })).data.map((f) => f.id).sort()).toEqual(
      [done.output_file_id, done.error_file_id].sort(),
    );
    const missing = await client.files.retrieve('file-nope').catch((e) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing.message).toBe('404 No such File object: file-nope');
  });

  it('pages batches.list newest first with after and limit', async () => {
    ({ sim, client } = await manualSim());
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await create()).id);
      await sim.clock.advance(1000);
    }
    const first = await client.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual([ids[4], ids[3]]);
    expect(first.has_more).toBe(true);
    const second = await client.batches.list({ limit: 2, after: ids[3] });
    expect(second.data.map((b) => b.id)).toEqual([ids[2], ids[1]]);
    const all: string[] = [];
    for await (const b of client.batches.list({ limit: 2 })) all.push(b.id);
    expect(all).toEqual([...ids].reverse());
  });

  it('sets expires_at exactly 24 h after created_at, whatever the millisecond of creation', async () => {
    ({ sim, client } = await manualSim());
    await sim.clock.advance(999);
    const batch = await create();
    expect(batch.expires_at! - batch.created_at).toBe(86_400);
  });

  it('refuses an endpoint outside the spec enum, an unknown input file, and a file of another purpose', async () => {
    ({ sim, client } = await manualSim());
    const input = await upload(1);
    const badEndpoint = await client.batches
      .create({
        input_file_id: input.id,
        endpoint: '/v1/audio/speech' as '/v1/responses',
        completion_window: '24h',
      })
      .catch((e) => e);
    expect(badEndpoint).toBeInstanceOf(OpenAI.BadRequestError);
    expect(badEndpoint.error.param).toBe('endpoint');
    for (const endpoint of ['/v1/embeddings', '/v1/moderations', '/v1/videos'] as const) {
      await expect(
        client.batches.create({ input_file_id: input.id, endpoint, completion_window: '24h' }),
      ).resolves.toMatchObject({ endpoint });
    }
    const unknown = await client.batches
      .create({ input_file_id: 'file-unknown', endpoint: '/v1/responses', completion_window: '24h' })
      .catch((e) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknown.error).toMatchObject({
      message: 'No such File object: file-unknown',
      param: 'input_file_id',
    });
    const other = await client.files.create({ file: new File(['x'], 'notes.txt'), purpose: 'assistants' });
    const wrongPurpose = await client.batches
      .create({ input_file_id: other.id, endpoint: '/v1/responses', completion_window: '24h' })
      .catch((e) => e);
    expect(wrongPurpose).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('fails validation on an input line that is not JSON, naming the line', async () => {
    ({ sim, client } = await manualSim());
    const file = await client.files.create({
      file: new File(['{"custom_id":"a"}\n{"custom_id":\n'], 'broken.jsonl'),
      purpose: 'batch',
    });
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/responses',
      completion_window: '24h',
    });
    await sim.clock.advance(1000);
    expect(await client.batches.retrieve(batch.id)).toMatchObject({
      status: 'failed',
      errors: { data: [{ code: 'invalid_json_line', line: 2 }] },
    });
  });

  it('scripts a 50,000-request result file cheaply, streamed line by line', async () => {
    ({ sim, client } = await manualSim());
    const batch = await create({ requests: 50_000, failedRequests: 500, responseBody: { ok: true } });
    await sim.clock.advance(7000);
    const done = await client.batches.retrieve(batch.id);
    expect(done.request_counts).toEqual({ total: 50_000, completed: 49_500, failed: 500 });
    const file = await client.files.retrieve(done.output_file_id!);
    const reader = (await client.files.content(file.id)).body!.getReader();
    let bytes = 0;
    let lines = 0;
    let last = '';
    const decoder = new TextDecoder();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      bytes += read.value.length;
      const text = decoder.decode(read.value, { stream: true });
      for (const c of text) if (c === '\n') lines++;
      last = (last + text).slice(-4000);
    }
    expect(bytes).toBe(file.bytes);
    expect(lines).toBe(49_500);
    expect(JSON.parse(last.trimEnd().split('\n').at(-1)!)).toMatchObject({ custom_id: 'request-49999' }); // request-50000 is the 500th failure;
  });
});
