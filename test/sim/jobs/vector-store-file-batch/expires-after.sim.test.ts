import { BadRequestError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../../src/sim/index.js';
import { manualSim } from '../../../helpers/sim.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('a vector store’s expires_after', () => {
  it('is echoed with the expiry it gives, null without one, and refused when malformed', async () => {
    const started = await manualSim();
    sim = started.sim;
    const { client } = started;
    const kept = await client.vectorStores.create({ name: 'kept' });
    expect(kept).toMatchObject({ expires_after: null, expires_at: null });
    const weekly = await client.vectorStores.create({
      name: 'weekly',
      expires_after: { anchor: 'last_active_at', days: 7 },
    });
    expect(weekly.expires_after).toEqual({ anchor: 'last_active_at', days: 7 });
    expect(weekly.expires_at).toBe(weekly.last_active_at! + 7 * 86_400);
    expect(await client.vectorStores.retrieve(weekly.id)).toMatchObject({ expires_after: { days: 7 } });
    await expect(
      client.vectorStores.create({ expires_after: { anchor: 'last_active_at', days: 0 } }),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(
      // biome-ignore lint/suspicious/noExplicitAny: an anchor the API does not know, as a caller might send it
      client.vectorStores.create({ expires_after: { anchor: 'created_at' as any, days: 7 } }),
    ).rejects.toMatchObject({ status: 400, param: 'expires_after.anchor' });
  });
});
