import OpenAI from 'openai';
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPollBudget, watchRun } from '../../../src/index.js';
import { DEFAULT_RATE_LIMITS, type Simulator, simScheduler, startSimulator } from '../../../src/sim/index.js';
import { parseGoDuration } from '../../../src/sources/rate-limit-headers.js';
import { manualSim, simClient } from '../../helpers/sim.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const LIMIT_HEADERS = ['limit', 'remaining', 'reset'].flatMap((what) =>
  ['requests', 'tokens'].map((of) => `x-ratelimit-${what}-${of}`),
);

/** Every header an authenticated answer carries, whatever its status. */
function expectApiHeaders(headers: Headers, label: string): void {
  for (const name of LIMIT_HEADERS) expect(headers.get(name), `${label}: ${name}`).not.toBeNull();
  expect(headers.get('openai-version'), label).toBe('2020-10-01');
  expect(headers.get('openai-processing-ms'), label).toMatch(/^\d+$/);
  expect(parseGoDuration(headers.get('x-ratelimit-reset-requests')), label).toBeGreaterThanOrEqual(0);
}

describe('rate-limit headers', () => {
  it('are on every answer by default, 200s and errors alike, from the documented default limits', async () => {
    const started = await manualSim({ faults: { serverError: { next: 1, routes: ['batches.retrieve'] } } });
    sim = started.sim;
    const { client } = started;
    const created = await client.responses
      .create({ model: 'm', input: 'hi', background: true })
      .withResponse();
    expectApiHeaders(created.response.headers, 'create');
    expect(created.response.headers.get('x-ratelimit-limit-requests')).toBe(String(DEFAULT_RATE_LIMITS.rpm));
    expect(created.response.headers.get('x-ratelimit-limit-tokens')).toBe(String(DEFAULT_RATE_LIMITS.tpm));
    // The create was charged its prompt's tokens; a retrieve is not.
    const tokensAfterCreate = Number(created.response.headers.get('x-ratelimit-remaining-tokens'));
    expect(tokensAfterCreate).toBeLessThan(DEFAULT_RATE_LIMITS.tpm);
    const read = await client.responses.retrieve(created.data.id).withResponse();
    expect(read.response.headers.get('x-ratelimit-remaining-tokens')).toBe(String(tokensAfterCreate));
    expect(read.response.headers.get('x-ratelimit-remaining-requests')).toBe(
      String(DEFAULT_RATE_LIMITS.rpm - 2),
    );

    // Sent one at a time: a 404, a 400 and an injected 500.
    const failures = [
      () => client.responses.retrieve('resp_missing'),
      () =>
        client.batches.create({
          input_file_id: 'file-x',
          endpoint: '/v1/nope' as '/v1/responses',
          completion_window: '24h',
        }),
      () => client.batches.retrieve('batch_x'),
    ];
    for (const failure of failures) {
      const error = await failure().catch((e) => e);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expectApiHeaders(error.headers, `${error.status}`);
    }
    const file = await client.files.create({
      file: new File(['{"custom_id":"a"}\n'], 'a.jsonl'),
      purpose: 'batch',
    });
    const content = await client.files.content(file.id);
    expectApiHeaders(content.headers, 'files.content');
  });

  it('take their limits from startSimulator({ rateLimits }), and a prompt over the tokens left is a tokens 429', async () => {
    sim = await startSimulator({ clock: 'manual', rateLimits: { rpm: 600, tpm: 1000 } });
    const client = simClient(sim);
    const ok = await client.responses
      .create({ model: 'm', input: 'x'.repeat(2000), background: true })
      .withResponse();
    expect(ok.response.headers.get('x-ratelimit-limit-requests')).toBe('600');
    expect(ok.response.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    const remaining = Number(ok.response.headers.get('x-ratelimit-remaining-tokens'));
    expect(remaining).toBeLessThan(1000 - 500);
    const refused = await client.responses
      .create({ model: 'm', input: 'y'.repeat(4 * remaining), background: true })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused.error).toMatchObject({ type: 'tokens', code: 'rate_limit_exceeded' });
    expect(refused.message).toContain('tokens per min (TPM): Limit 1000');
    // Nothing was taken by the refused request, and the headers say so.
    expect(refused.headers.get('x-ratelimit-remaining-tokens')).toBe(String(remaining));
    expect(Number(refused.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    await expect(startSimulator({ rateLimits: { rpm: 0 } })).rejects.toThrow(RangeError);
  });

  it('keep one meaning of reset across 200s and 429s: the time until the bucket is full', async () => {
    const started = await manualSim({ faults: { rpm: 60 } });
    sim = started.sim;
    const { client } = started;
    const created = await client.responses.create({ model: 'm', input: 'x', background: true });
    // Requests 2..60 take a token each; every answer's reset is (tokens missing) × 1 s.
    for (let taken = 2; taken <= 60; taken++) {
      const read = await client.responses.retrieve(created.id).withResponse();
      expect(parseGoDuration(read.response.headers.get('x-ratelimit-reset-requests'))).toBe(taken * 1000);
    }
    const refused = await client.responses.retrieve(created.id).catch((e) => e);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(parseGoDuration(refused.headers.get('x-ratelimit-reset-requests'))).toBe(60_000);
    // retry-after is the other number: the wait for the next single token.
    expect(refused.headers.get('retry-after-ms')).toBe('1000');
  });

  it('never invent a limit on an injected 429: a shared budget of 3,000 rpm keeps its rate', async () => {
    // Before, an injected 429 said `x-ratelimit-limit-requests: 500`, and the budget cut itself to 500 rpm.
    sim = await startSimulator({
      clock: { speed: 25 },
      scenario: { phases: { queued: 200, in_progress: 2000 } },
    });
    const s = sim;
    const client = simClient(s);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await client.responses.create({ model: 'm', input: `job ${i}`, background: true })).id);
    }
    // Every retrieve is refused until the budget has read a 429 for each watch: its only news is the 429s.
    s.setFaults({ rateLimit: { probability: 1, routes: ['responses.retrieve'], retryAfterMs: 200 } });
    const scheduler = simScheduler(s.clock);
    const budget = createPollBudget({ rpm: 3000, scheduler });
    const watches = ids.map((id) =>
      lastValueFrom(
        watchRun({
          client,
          job: { kind: 'response', id },
          source: budget.poll(),
          scheduler,
          maxWaitMs: 3_600_000,
        }),
      ),
    );
    await vi.waitFor(() => expect(budget.stats().rateLimited).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    expect(budget.stats().rpm).toBe(3000);
    s.setFaults({ rateLimit: null });
    const lasts = await Promise.all(watches);
    expect(lasts.map((last) => last.state)).toEqual(['completed', 'completed', 'completed']);
    expect(budget.stats().rpm).toBe(3000);
  });
});
