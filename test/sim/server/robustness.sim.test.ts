import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock, Simulator } from '../../../src/sim/index.js';
import { assistantAndThread, manualSim } from '../../helpers/sim.js';

let sim: Simulator<ManualClock>;
let ids: { assistantId: string; threadId: string; runId: string; responseId: string; batchId: string };

beforeAll(async () => {
  const started = await manualSim({ scenario: { toolCalls: [[{ name: 'f' }]] } });
  sim = started.sim;
  const { client } = started;
  const { assistantId, threadId } = await assistantAndThread(client);
  const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
  const response = await client.responses.create({ model: 'm', input: 'x', background: true });
  const batch = await client.batches.create({
    input_file_id: 'f',
    endpoint: '/v1/responses',
    completion_window: '24h',
    metadata: { sim_scenario: '{"anyInputFile":true}' },
  });
  ids = { assistantId, threadId, runId: run.id, responseId: response.id, batchId: batch.id };
});
afterAll(async () => {
  await sim?.close();
});

describe('robustness', () => {
  it('answers any JSON body on any route with JSON, never an internal error, and keeps serving', async () => {
    const t = () => ids.threadId;
    const paths = [
      () => ['POST', '/assistants'],
      () => ['POST', '/threads'],
      () => ['POST', '/threads/runs'],
      () => ['POST', `/threads/${t()}/messages`],
      () => ['GET', `/threads/${t()}/messages?order=sideways&limit=-3`],
      () => ['POST', `/threads/${t()}/runs`],
      () => ['GET', `/threads/${t()}/runs?limit=500`],
      () => ['POST', `/threads/${t()}/runs/${ids.runId}/cancel`],
      () => ['POST', `/threads/${t()}/runs/${ids.runId}/submit_tool_outputs`],
      () => ['POST', '/responses'],
      () => ['POST', `/responses/${ids.responseId}/cancel`],
      () => ['POST', '/batches'],
      () => ['POST', `/batches/${ids.batchId}/cancel`],
      () => ['POST', '/files'],
      () => ['DELETE', '/threads/%E0%A4%A'],
      () => ['GET', '/threads/%E0%A4%A'],
    ] as const;
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          assistant_id: fc.oneof(fc.constant(ids?.assistantId ?? 'asst_x'), fc.jsonValue()),
          model: fc.oneof(fc.string(), fc.jsonValue()),
          role: fc.oneof(fc.constantFrom('user', 'assistant', 'system'), fc.jsonValue()),
          content: fc.jsonValue(),
          metadata: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
          tool_outputs: fc.oneof(
            fc.array(fc.record({ tool_call_id: fc.jsonValue(), output: fc.jsonValue() })),
            fc.jsonValue(),
          ),
          messages: fc.jsonValue(),
          additional_messages: fc.jsonValue(),
          thread: fc.jsonValue(),
          background: fc.jsonValue(),
          input_file_id: fc.jsonValue(),
          endpoint: fc.string(),
          completion_window: fc.constantFrom('24h', '1h'),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: paths.length - 1 }), body, async (i, json) => {
        const [method, path] = paths[i]!();
        const res = await fetch(`${sim.baseURL}${path}`, {
          method,
          headers: { 'content-type': 'application/json' },
          body: method === 'GET' ? undefined : JSON.stringify(json),
        });
        expect(res.status).toBeLessThan(500);
        const answer = await res.json();
        if (res.status >= 400) {
          expect(answer.error).toEqual({
            message: expect.any(String),
            type: expect.any(String),
            param: expect.toBeOneOf([null, expect.any(String)]),
            code: expect.toBeOneOf([null, expect.any(String)]),
          });
        }
      }),
      { numRuns: 300 },
    );
    expect(sim.stats().serverErrors).toBe(0);
  });
});
