import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock, Simulator } from '../../../../src/sim/index.js';
import { manualSim, scenarioMeta } from '../../../helpers/sim.js';

let sim: Simulator<ManualClock>;
let client: OpenAI;

afterEach(async () => {
  await sim?.close();
});

const phases = { queued: 500, in_progress: 1500 };

async function create(scenario: object = {}) {
  return client.responses.create({
    model: 'gpt-4o-mini',
    input: 'Write a haiku',
    background: true,
    metadata: scenarioMeta({ phases, ...scenario }),
  });
}

describe('responses in background mode', () => {
  it('goes queued → in_progress → completed with output text', async () => {
    ({ sim, client } = await manualSim({ scenario: { reply: 'Autumn moon' } }));
    const created = await create();
    expect(created).toMatchObject({ object: 'response', status: 'queued', background: true, output: [] });
    expect(created.id).toMatch(/^resp_[0-9a-f]{48}$/);
    await sim.clock.advance(500);
    expect((await client.responses.retrieve(created.id)).status).toBe('in_progress');
    await sim.clock.advance(1500);
    const done = await client.responses.retrieve(created.id);
    expect(done.status).toBe('completed');
    // output_text is computed by the SDK from output items: proof the items have the right shape.
    expect(done.output_text).toBe('Autumn moon');
    expect(done.usage?.total_tokens).toBe(30);
    // The spec's OutputTextContent requires logprobs (an empty array when none were asked for).
    expect(done.output[0]).toMatchObject({
      type: 'message',
      content: [{ type: 'output_text', text: 'Autumn moon', annotations: [], logprobs: [] }],
    });
  });

  it.each([
    [
      'failed',
      { outcome: 'failed', error: { code: 'invalid_prompt', message: 'nope' } },
      { error: { code: 'invalid_prompt', message: 'nope' } },
    ],
    ['incomplete', { outcome: 'incomplete' }, { incomplete_details: { reason: 'max_output_tokens' } }],
    ['cancelled', { outcome: 'cancelled' }, { error: null }],
  ])('ends %s', async (status, scenario, details) => {
    ({ sim, client } = await manualSim());
    const created = await create(scenario);
    await sim.clock.advance(2000);
    expect(await client.responses.retrieve(created.id)).toMatchObject({ status, ...details });
  });

  it('cancels at once, and cancelling again returns the same final object', async () => {
    ({ sim, client } = await manualSim());
    const created = await create();
    await sim.clock.advance(700);
    const cancelled = await client.responses.cancel(created.id);
    expect(cancelled.status).toBe('cancelled');
    await sim.clock.advance(5000);
    const again = await client.responses.cancel(created.id);
    expect(again).toEqual(cancelled);
    expect((await client.responses.retrieve(created.id)).status).toBe('cancelled');
    expect(sim.job(created.id)?.timeline).toEqual([
      { status: 'queued', at: sim.job(created.id)!.createdAt },
      { status: 'in_progress', at: sim.job(created.id)!.createdAt + 500 },
      { status: 'cancelled', at: sim.job(created.id)!.createdAt + 700 },
    ]);
  });

  it('answers a synchronous create finished, and refuses to cancel it', async () => {
    ({ sim, client } = await manualSim());
    const response = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi' });
    expect(response.status).toBe('completed');
    const error = await client.responses.cancel(response.id).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toBe('400 Cannot cancel a synchronous response.');
  });

  it('refuses a scenario a response cannot follow, and a missing model', async () => {
    ({ sim, client } = await manualSim());
    const expired = await create({ outcome: 'expired' }).catch((e) => e);
    expect(expired).toBeInstanceOf(OpenAI.BadRequestError);
    expect(expired.error).toMatchObject({ param: 'metadata.sim_scenario', code: 'invalid_sim_scenario' });
    expect(expired.message).toContain("a response cannot end 'expired'");
    const noModel = await client.responses.create({ input: 'x', background: true } as never).catch((e) => e);
    expect(noModel).toBeInstanceOf(OpenAI.BadRequestError);
    expect(noModel.error).toEqual({
      message: "Missing required parameter: 'model'.",
      type: 'invalid_request_error',
      param: 'model',
      code: 'missing_required_parameter',
    });
  });

  it('answers an unknown id with 404', async () => {
    ({ sim, client } = await manualSim());
    const error = await client.responses.retrieve('resp_missing').catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.message).toBe("404 No response found with id 'resp_missing'.");
  });
});
