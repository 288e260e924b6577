// Under a scaled clock, the waits a header asks of a client are in the client's own (real) time, and both 429s
// (the limiter's and an injected one) count theirs on the simulator's clock first. A few short wall-clock waits.
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../src/sim/index.js';
import { clientMs } from '../../../src/sim/server/server.js';
import { createManualClock, createScaledClock } from '../../../src/sim/time/clock.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const SPEED = 20;

/** The raw answer of one retrieve: its status and headers (no SDK retries). */
async function retrieve(id: string): Promise<{ status: number; headers: Headers }> {
  const answer = await fetch(`${sim!.baseURL}/responses/${id}`, { headers: { authorization: 'Bearer sim' } });
  await answer.arrayBuffer();
  return { status: answer.status, headers: answer.headers };
}

describe('waits in headers, under a scaled clock', () => {
  it('divides clock ms by the speed; a manual clock, with no pace, keeps clock ms', () => {
    expect(clientMs(createScaledClock(20), 761)).toBe(39);
    expect(clientMs(createScaledClock(1), 761)).toBe(761);
    expect(clientMs(createManualClock(), 761)).toBe(761);
  });

  it("says the limiter's retry-after-ms in real time: a retry after that long is served", async () => {
    sim = await startSimulator({ clock: { speed: SPEED }, faults: { rpm: 60 } });
    const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0 });
    const { id } = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true });
    // All at once: one after the other, a loaded machine can be slower than the refill (20 a second of real time).
    const answers = await Promise.all(Array.from({ length: 150 }, () => retrieve(id)));
    const limited = answers.find((a) => a.status === 429)?.headers;
    expect(limited).toBeDefined();
    const waitMs = Number(limited!.get('retry-after-ms'));
    // 60 rpm refills one request per clock second: 50 ms of real time at ×20 (the clock second said 1000).
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(1000 / SPEED);
    // The reset of a full bucket, in real time too: at most 60 clock seconds, 3 s of real time.
    const reset = limited!.get('x-ratelimit-reset-requests')!;
    expect(reset).toMatch(/^(\d+ms|\d+(\.\d+)?s)$/);
    expect(
      reset.endsWith('ms') ? Number.parseInt(reset, 10) : Number.parseFloat(reset) * 1000,
    ).toBeLessThanOrEqual(60_000 / SPEED);
    await new Promise((resolve) => setTimeout(resolve, waitMs + 5));
    // A 429 says the wait from its own moment; requests of the burst served after it may have taken the refilled
    // token. Then the next answer says the wait again, in real time, and a retry after that long is served.
    let retried = await retrieve(id);
    if (retried.status === 429) {
      const again = Number(retried.headers.get('retry-after-ms'));
      expect(again).toBeGreaterThan(0);
      expect(again).toBeLessThanOrEqual(1000 / SPEED);
      await new Promise((resolve) => setTimeout(resolve, again + 5));
      retried = await retrieve(id);
    }
    expect(retried.status).toBe(200);
  });

  it("says an injected 429's wait and the poll hint on the same clock, in real time", async () => {
    sim = await startSimulator({
      clock: { speed: SPEED },
      faults: {
        rateLimit: { next: 1, retryAfterMs: 20_000, routes: ['responses.retrieve'] },
        pollAfterMs: 2000,
      },
    });
    const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0 });
    const { id } = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true });
    const limited = await retrieve(id);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after-ms')).toBe(String(20_000 / SPEED));
    expect(limited.headers.get('retry-after')).toBe('1');
    const served = await retrieve(id);
    expect(served.status).toBe(200);
    expect(served.headers.get('openai-poll-after-ms')).toBe(String(2000 / SPEED));
  });
});
