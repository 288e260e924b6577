import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type ManualClock, type Simulator, startSimulator } from '../../../src/sim/index.js';
import { manualSim, simClient } from '../../helpers/sim.js';

let sim: Simulator<ManualClock>;
let client: OpenAI;

afterEach(async () => {
  await sim?.close();
});

const backgroundResponse = () =>
  client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true });

describe('429s', () => {
  it('serves 429 with retry and rate-limit headers on the next N retrieves only, then answers normally', async () => {
    ({ sim, client } = await manualSim({
      faults: { rateLimit: { next: 3, routes: ['*.retrieve'], retryAfterMs: 1500 } },
    }));
    const created = await backgroundResponse();
    for (let i = 0; i < 3; i++) {
      const error = await client.responses.retrieve(created.id).catch((e) => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.status).toBe(429);
      expect(error.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests' });
      expect(error.headers.get('retry-after-ms')).toBe('1500');
      expect(error.headers.get('retry-after')).toBe('2');
      // An injected 429 tells the limiter's truth: the default 10,000 rpm, minus the create and these retrieves,
      // full again in 6 ms per request taken. It never invents a lower limit.
      expect(error.headers.get('x-ratelimit-limit-requests')).toBe('10000');
      expect(error.headers.get('x-ratelimit-remaining-requests')).toBe(String(10_000 - 2 - i));
      expect(error.headers.get('x-ratelimit-reset-requests')).toBe(`${6 * (2 + i)}ms`);
    }
    expect((await client.responses.retrieve(created.id)).id).toBe(created.id);
    const stats = sim.stats();
    expect(stats.rateLimited).toBe(3);
    expect(stats.requests.byRoute['responses.retrieve']).toEqual({ total: 4, byStatus: { 200: 1, 429: 3 } });
    expect(stats.requests.byRoute['responses.create']).toEqual({ total: 1, byStatus: { 200: 1 } });
    expect(sim.job(created.id)?.retrieves).toBe(4);
  });

  it('lets the SDK recover by honouring retry-after-ms', async () => {
    ({ sim, client } = await manualSim({ faults: { rateLimit: { next: 2, retryAfterMs: 5 } } }));
    const patient = simClient(sim, { maxRetries: 2 });
    const started = Date.now();
    const response = await patient.responses.create({ model: 'm', input: 'x', background: true });
    expect(response.status).toBe('queued');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sim.stats().rateLimited).toBe(2);
  });

  it('enforces rpm across all clients with a token bucket on the clock', async () => {
    ({ sim, client } = await manualSim({ faults: { rpm: 60 } }));
    const other = simClient(sim);
    const created = await backgroundResponse();
    const first = await client.responses.retrieve(created.id).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('60');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('58');
    for (let i = 0; i < 58; i++) await (i % 2 ? client : other).responses.retrieve(created.id);
    const refused = await other.responses.retrieve(created.id).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused.headers.get('retry-after-ms')).toBe('1000');
    expect(refused.message).toContain('Limit 60');
    await sim.clock.advance(999);
    expect((await client.responses.retrieve(created.id).catch((e) => e)).status).toBe(429);
    await sim.clock.advance(1);
    const again = await client.responses.retrieve(created.id).withResponse();
    expect(again.response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(sim.stats().rateLimited).toBe(2);
  });
});

describe('server errors, drops, latency, hints', () => {
  it('serves 500 and 503 by route and probability', async () => {
    ({ sim, client } = await manualSim({
      faults: {
        serverError: [
          { next: 1, status: 503, routes: ['responses.create'] },
          { probability: 1, routes: ['responses.retrieve'] },
        ],
      },
    }));
    const overloaded = await backgroundResponse().catch((e) => e);
    expect(overloaded).toBeInstanceOf(OpenAI.InternalServerError);
    expect(overloaded.status).toBe(503);
    const created = await backgroundResponse();
    const broken = await client.responses.retrieve(created.id).catch((e) => e);
    expect(broken.status).toBe(500);
    expect(broken.error).toMatchObject({ type: 'server_error' });
    sim.setFaults({ serverError: null });
    expect((await client.responses.retrieve(created.id)).id).toBe(created.id);
    expect(sim.stats().serverErrors).toBe(2);
  });

  it('drops a connection without answering: the SDK throws APIConnectionError and the server keeps serving', async () => {
    ({ sim, client } = await manualSim({ faults: { drop: { next: 1, routes: ['responses.retrieve'] } } }));
    const created = await backgroundResponse();
    const dropped = await client.responses.retrieve(created.id).catch((e) => e);
    expect(dropped).toBeInstanceOf(OpenAI.APIConnectionError);
    expect((await client.responses.retrieve(created.id)).id).toBe(created.id);
    expect(sim.stats().dropped).toBe(1);
    expect(sim.stats().requests.byRoute['responses.retrieve']?.byStatus).toEqual({ dropped: 1, 200: 1 });
  });

  it('applies a request before a 5xx or a drop with afterHandling: the write lands, the answer is lost', async () => {
    ({ sim, client } = await manualSim({
      faults: {
        serverError: { next: 1, status: 503, routes: ['responses.cancel'], afterHandling: true },
        drop: { next: 1, routes: ['responses.create'], afterHandling: true },
      },
    }));
    const lost = await backgroundResponse().catch((e) => e);
    expect(lost).toBeInstanceOf(OpenAI.APIConnectionError);
    // The create was applied although its answer was lost: the response exists.
    const [created] = Object.values(sim.stats().jobs);
    expect(created?.kind).toBe('response');
    const cancel = await client.responses.cancel(created!.id).catch((e) => e);
    expect(cancel).toBeInstanceOf(OpenAI.InternalServerError);
    expect(cancel.status).toBe(503);
    expect((await client.responses.retrieve(created!.id)).status).toBe('cancelled');
    expect(sim.stats().requests.byRoute['responses.cancel']?.byStatus).toEqual({ 503: 1 });
    expect(sim.stats().requests.byRoute['responses.create']?.byStatus).toEqual({ dropped: 1 });
  });

  it('spends a rule only on requests that reach it: a dropped request leaves the 429 for the next one', async () => {
    ({ sim, client } = await manualSim({ faults: { drop: { next: 1 }, rateLimit: { next: 1 } } }));
    const first = await client.batches.retrieve('batch_x').catch((e) => e);
    const second = await client.batches.retrieve('batch_x').catch((e) => e);
    const third = await client.batches.retrieve('batch_x').catch((e) => e);
    expect([first.constructor, second.status, third.status]).toEqual([OpenAI.APIConnectionError, 429, 404]);
  });

  it('adds wall-clock latency to the routes it targets', async () => {
    ({ sim, client } = await manualSim({ faults: { latency: { ms: 150, routes: ['responses.retrieve'] } } }));
    let started = Date.now();
    const created = await backgroundResponse();
    const untargeted = Date.now() - started;
    started = Date.now();
    await client.responses.retrieve(created.id);
    const targeted = Date.now() - started;
    expect(targeted).toBeGreaterThanOrEqual(145);
    // Compared rather than bounded, so a loaded machine slowing both does not fail the test.
    expect(targeted - untargeted).toBeGreaterThan(100);
  });

  it('sends openai-poll-after-ms on retrieves, readable with .withResponse()', async () => {
    ({ sim, client } = await manualSim({ faults: { pollAfterMs: 1234 } }));
    const { response: createResponse, data } = await backgroundResponse().withResponse();
    expect(createResponse.headers.get('openai-poll-after-ms')).toBeNull();
    const { response } = await client.responses.retrieve(data.id).withResponse();
    expect(response.headers.get('openai-poll-after-ms')).toBe('1234');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('draws probabilistic faults from the seed: the same seed, the same faults', async () => {
    const pattern = async (seed: number) => {
      const s = await startSimulator({
        clock: 'manual',
        seed,
        faults: { serverError: { probability: 0.5 } },
      });
      const c = simClient(s);
      const out: number[] = [];
      for (let i = 0; i < 16; i++) out.push(await c.batches.retrieve('batch_x').catch((e) => e.status));
      await s.close();
      return out.join(',');
    };
    const a = await pattern(7);
    expect(a).toMatch(/500/);
    expect(a).toMatch(/404/);
    expect(await pattern(7)).toBe(a);
    expect(await pattern(8)).not.toBe(a);
  });

  it('rejects bad fault options', async () => {
    ({ sim, client } = await manualSim());
    expect(() => sim.setFaults({ rateLimit: { probability: 2 } })).toThrow(/probability/);
    expect(() => sim.setFaults({ rpm: 0 })).toThrow(/rpm/);
    expect(() => sim.setFaults({ latency: { ms: [5, 1] } })).toThrow(/latency/);
    expect(() => sim.setFaults({ webhooks: { drop: { next: 1 }, delay: { ms: -1 } } })).toThrow(
      /faults.webhooks.delay.ms/,
    );
    // A refused update changes nothing.
    expect(sim.faults()).toEqual({ webhooks: {} });
  });
});

describe('auth and malformed requests', () => {
  it('answers 401 invalid_api_key to a wrong or missing key', async () => {
    sim = await startSimulator({ clock: 'manual', apiKey: 'sk-right-key-1234' });
    const wrong = await simClient(sim, { apiKey: 'sk-wrong-key-9876' })
      .batches.retrieve('batch_x')
      .catch((e) => e);
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(wrong.error.code).toBe('invalid_api_key');
    expect(wrong.message).not.toContain('sk-wrong-key-9876');
    const missing = await fetch(`${sim.baseURL}/batches/batch_x`);
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.code).toBe('invalid_api_key');
    const right = await simClient(sim, { apiKey: 'sk-right-key-1234' })
      .batches.retrieve('batch_x')
      .catch((e) => e);
    expect(right).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('answers unknown routes with 404, bad JSON and missing params with 400, and keeps serving', async () => {
    ({ sim, client } = await manualSim());
    const unknown = await fetch(`${sim.baseURL}/nope`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: {
        message: 'Invalid URL (POST /v1/nope)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    const badJson = await fetch(`${sim.baseURL}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(badJson.status).toBe(400);
    expect((await badJson.json()).error.message).toMatch(/could not parse the JSON body/);
    const noAssistantId = await client.beta.assistants.create({} as never).catch((e) => e);
    expect(noAssistantId).toBeInstanceOf(OpenAI.BadRequestError);
    expect(noAssistantId.error).toMatchObject({ param: 'model', code: 'missing_required_parameter' });
    expect((await backgroundResponse()).status).toBe('queued');
    expect(sim.stats().requests.byRoute.unknown).toEqual({ total: 1, byStatus: { 404: 1 } });
  });

  it('refuses an invalid sim_scenario with a 400 naming the field', async () => {
    ({ sim, client } = await manualSim());
    const bad = await client.responses
      .create({
        model: 'm',
        input: 'x',
        background: true,
        metadata: { sim_scenario: '{"phases":{"queued":"soon"}}' },
      })
      .catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.error.param).toBe('metadata.sim_scenario');
    expect(bad.error.message).toContain('metadata.sim_scenario.phases.queued: expected a duration');
    const notJson = await client.responses
      .create({ model: 'm', input: 'x', background: true, metadata: { sim_scenario: '{oops' } })
      .catch((e) => e);
    expect(notJson.error.message).toContain('not valid JSON');
    const unknownName = await client.responses
      .create({ model: 'm', input: 'x', background: true, metadata: { sim_scenario: 'slow' } })
      .catch((e) => e);
    expect(unknownName.error.message).toContain('no scenario named "slow"');
  });
});
