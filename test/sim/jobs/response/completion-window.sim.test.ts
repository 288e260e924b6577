import type OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock, Simulator } from '../../../../src/sim/index.js';
import { createResponse } from '../../../helpers/agent-session.js';
import { manualSim, scenarioMeta } from '../../../helpers/sim.js';

// Discounted background windows (openai 7.58): the simulator keeps the window and ends a response that misses it.

let sim: Simulator<ManualClock>;
let client: OpenAI;

afterEach(async () => {
  await sim?.close();
});

const HOUR = 60 * 60_000;

function create(window: 'soonest' | '2h' | '8h', inProgressMs: number, extra: object = {}) {
  return createResponse(client, {
    model: 'gpt-4o-mini',
    input: 'Summarise the archive',
    background: true,
    background_options: { completion_window: window },
    metadata: scenarioMeta({ phases: { queued: 1000, in_progress: inProgressMs } }),
    ...extra,
  });
}

describe('responses with a completion window', () => {
  it('ends a response still running at created_at + 8h failed, with an error naming the window', async () => {
    ({ sim, client } = await manualSim());
    const created = await create('8h', 9 * HOUR);
    // The object carries no window and no expires_at: openai 7.60 types neither.
    expect(created).not.toHaveProperty('expires_at');
    expect(created).not.toHaveProperty('background_options');
    const deadline = created.created_at * 1000 + 8 * HOUR;
    await sim.clock.set(deadline - 1);
    expect((await client.responses.retrieve(created.id)).status).toBe('in_progress');
    await sim.clock.set(deadline);
    const ended = await client.responses.retrieve(created.id);
    expect(ended).toMatchObject({
      status: 'failed',
      error: {
        code: 'server_error',
        message: 'The response did not complete within its 8h completion window.',
      },
      output: [],
    });
  });

  it('completes a response that finishes inside its window, as any other', async () => {
    ({ sim, client } = await manualSim({ scenario: { reply: 'Done' } }));
    const created = await create('2h', 90 * 60_000);
    await sim.clock.advance(2 * HOUR + 60_000);
    expect(await client.responses.retrieve(created.id)).toMatchObject({
      status: 'completed',
      error: null,
      output_text: 'Done',
    });
  });

  it('keeps soonest as plain background mode: no deadline', async () => {
    ({ sim, client } = await manualSim());
    const created = await create('soonest', 10 * HOUR);
    await sim.clock.advance(9 * HOUR);
    expect((await client.responses.retrieve(created.id)).status).toBe('in_progress');
  });

  it('refuses a discounted window without background, with stream, or one it does not know (400)', async () => {
    ({ sim, client } = await manualSim());
    await expect(create('2h', 1000, { background: false })).rejects.toMatchObject({
      status: 400,
      param: 'background_options.completion_window',
    });
    await expect(
      createResponse(client, {
        model: 'gpt-4o-mini',
        input: 'x',
        background: true,
        stream: true,
        background_options: { completion_window: '8h' },
      }),
    ).rejects.toMatchObject({ status: 400, param: 'background_options.completion_window' });
    await expect(create('24h' as never, 1000)).rejects.toMatchObject({
      status: 400,
      param: 'background_options.completion_window',
    });
  });
});
