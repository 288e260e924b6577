import type OpenAI from 'openai';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPollBudget, type JobRef, poll, stream, watchRun } from '../../src/index.js';
import { type Scenario, type Simulator, startSimulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { registerTestOtel, type TestOtel } from '../helpers/otel.js';
import { assistantAndThread, scenarioMeta, simClient } from '../helpers/sim.js';

// The simulator and the watches share one clock at 50× real time, as in watch-run.sim.test.ts.
const SPEED = 50;
const PHASES = { queued: 200, in_progress: 2000 };

let otel: TestOtel;
let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  otel = registerTestOtel();
  sim = await startSimulator({ clock: { speed: SPEED }, seed: 19 });
  client = simClient(sim);
});
afterAll(async () => {
  await sim.close();
  await otel.shutdown();
});

async function createJobs(): Promise<JobRef[]> {
  const meta = (scenario: Scenario) => scenarioMeta(scenario);
  const response = await client.responses.create({
    model: 'gpt-4o-mini',
    input: 'hi',
    background: true,
    metadata: meta({ outcome: 'completed', phases: PHASES }),
  });
  const batch = await client.batches.create({
    input_file_id: 'file-abc',
    endpoint: '/v1/responses',
    completion_window: '24h',
    metadata: meta({ outcome: 'failed', phases: PHASES, anyInputFile: true }),
  });
  const { assistantId, threadId } = await assistantAndThread(client);
  const run = await client.beta.threads.runs.create(threadId, {
    assistant_id: assistantId,
    metadata: meta({
      outcome: 'completed',
      phases: PHASES,
      toolCalls: [[{ name: 'get_weather', arguments: { city: 'Paris' } }]],
    }),
  });
  return [
    { kind: 'response', id: response.id },
    { kind: 'batch', id: batch.id },
    { kind: 'assistants.run', threadId, runId: run.id },
  ];
}

const RUNSTATE_ROUTES = /\.(retrieve|cancel|submitToolOutputs|stream)$/;

describe('telemetry through the real SDK (in-memory exporters), against the simulator with faults', () => {
  it('records one watch span per job, a span and a count per request equal to what the simulator saw', async () => {
    const testStart = sim.clock.now();
    const jobs = await createJobs();
    const before = sim.stats();
    sim.setFaults({
      rateLimit: { next: 3, routes: ['*.retrieve'], retryAfterMs: 200 },
      serverError: { next: 2, routes: ['*.retrieve'], status: 503 },
    });
    const finals = await Promise.all(
      jobs.map((job) =>
        lastValueFrom(
          watchRun({
            client,
            job,
            scheduler: simScheduler(sim.clock),
            source: poll({ retryBackoff: { initialDelayMs: 100, maxDelayMs: 400 } }),
            tools: { get_weather: async () => 'sunny' },
          }),
        ),
      ),
    );
    expect(finals.map((s) => s.state)).toEqual(['completed', 'failed', 'completed']);
    const after = sim.stats();

    // What the simulator saw of runstate's routes (the test's own creates excluded).
    let served = 0;
    for (const [route, stats] of Object.entries(after.requests.byRoute)) {
      if (RUNSTATE_ROUTES.test(route)) served += stats.total - (before.requests.byRoute[route]?.total ?? 0);
    }
    const rateLimited = after.rateLimited - before.rateLimited;
    const serverErrors = after.serverErrors - before.serverErrors;
    expect(rateLimited).toBe(3);
    expect(serverErrors).toBe(2);

    expect(await otel.sum('runstate.requests')).toBe(served);
    expect(await otel.sum('runstate.requests', { outcome: '429' })).toBe(rateLimited);
    expect(await otel.sum('runstate.requests', { outcome: '5xx' })).toBe(serverErrors);
    expect(finals.reduce((n, s) => n + s.calls, 0)).toBe(served);
    expect(
      await otel.sum('runstate.requests', { kind: 'assistants.run', route: 'submit', outcome: 'ok' }),
    ).toBe(1);

    const spans = otel.spans();
    const watchSpans = spans.filter((s) => s.name === 'runstate.watch');
    expect(watchSpans.map((s) => s.attributes['runstate.job.id']).sort()).toEqual(
      finals.map((s) => s.id).sort(),
    );
    for (const span of watchSpans) {
      const final = finals.find((s) => s.id === span.attributes['runstate.job.id'])!;
      expect(span.attributes['runstate.outcome']).toBe(final.state);
      expect(span.attributes['runstate.requests']).toBe(final.calls);
      expect(span.attributes['runstate.source']).toBe('poll');
      expect(span.events.map((e) => e.attributes?.['runstate.state']).at(-1)).toBe(final.state);
      // Its requests are its children, in its trace.
      const children = spans.filter((s) => s.parentSpanContext?.spanId === span.spanContext().spanId);
      expect(children.filter((c) => c.name !== 'execute_tool get_weather')).toHaveLength(final.calls);
    }
    const requestSpans = spans.filter((s) => s.attributes['runstate.route'] !== undefined);
    expect(requestSpans).toHaveLength(served);
    expect(requestSpans.filter((s) => s.attributes['http.response.status_code'] === 429)).toHaveLength(3);
    const limited = requestSpans.find((s) => s.attributes['http.response.status_code'] === 429)!;
    // The simulator says waits in the client's real time: the injected 200 ms of its clock, divided by its speed.
    expect(limited.attributes['runstate.hint.retry_after_ms']).toBe(String(200 / SPEED));
    expect(requestSpans.some((s) => (s.attributes['runstate.retry'] as number) > 0)).toBe(true);
    // A response's read follows the GenAI conventions' get_response span.
    const reads = spans.filter((s) => s.name === 'get_response');
    expect(reads.length).toBe(finals[0]!.calls);
    expect(reads[0]!.attributes['gen_ai.response.id']).toBe(finals[0]!.id);
    expect(reads[0]!.attributes['gen_ai.provider.name']).toBe('openai');

    const toolSpans = spans.filter((s) => s.name === 'execute_tool get_weather');
    expect(toolSpans).toHaveLength(1);
    expect(toolSpans[0]!.attributes['gen_ai.tool.call.id']).toMatch(/^call_/);
    expect(await otel.sum('runstate.tool.calls', { tool: 'get_weather', outcome: 'ok' })).toBe(1);
    expect(await otel.count('runstate.tool.duration')).toBe(1);

    expect(await otel.sum('runstate.watches.ended')).toBe(3);
    expect(await otel.sum('runstate.watches.ended', { kind: 'batch', outcome: 'failed' })).toBe(1);
    expect(await otel.sum('runstate.watches.active')).toBe(0);
    expect(await otel.count('runstate.watch.duration')).toBe(3);
    // Each kind's object carries its end time (completed_at, failed_at).
    expect(await otel.count('runstate.detection.delay')).toBe(3);
    // Each job ended after the test created it: noticing it cannot take longer than the test ran (clock s).
    const delays = await otel.points('runstate.detection.delay');
    const longest = Math.max(...delays.map((p) => (p.value as { max?: number }).max ?? 0));
    expect(longest).toBeGreaterThan(0);
    expect(longest).toBeLessThanOrEqual((sim.clock.now() - testStart) / 1000);
    // Never a job id on a metric.
    for (const name of ['runstate.requests', 'runstate.watches.ended', 'runstate.watches.active']) {
      for (const p of await otel.points(name)) expect(Object.keys(p.attributes).sort()).not.toContain('job');
    }
  }, 30_000);

  it('times the wait of each budgeted request for its token in runstate.budget.wait', async () => {
    const jobs = await Promise.all(
      Array.from({ length: 6 }, () =>
        client.responses.create({
          model: 'gpt-4o-mini',
          input: 'hi',
          background: true,
          metadata: scenarioMeta({ outcome: 'completed', phases: PHASES }),
        }),
      ),
    );
    const waitsBefore = await otel.count('runstate.budget.wait');
    const budget = createPollBudget({ rpm: 120, burst: 1, scheduler: simScheduler(sim.clock) });
    const finals = await Promise.all(
      jobs.map((r) =>
        lastValueFrom(
          watchRun({
            client,
            job: { kind: 'response', id: r.id },
            source: budget.poll(),
            scheduler: simScheduler(sim.clock),
          }),
        ),
      ),
    );
    expect(finals.every((s) => s.state === 'completed')).toBe(true);
    expect((await otel.count('runstate.budget.wait')) - waitsBefore).toBe(budget.stats().requests);
    const [point] = await otel.points('runstate.budget.wait');
    // rpm 120 with a burst of 1 and six watches due together: someone waited a token's interval or more.
    expect((point!.value as { max?: number }).max).toBeGreaterThanOrEqual(0.5);
  }, 30_000);

  it('records each stream connection as the simulator served them', async () => {
    const r = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'hi',
      background: true,
      metadata: scenarioMeta({ outcome: 'completed', phases: PHASES }),
    });
    const before = sim.stats().requests.byRoute['responses.stream']?.total ?? 0;
    const countedBefore = await otel.sum('runstate.requests', { route: 'stream' });
    const last = await lastValueFrom(
      watchRun({
        client,
        job: { kind: 'response', id: r.id },
        source: stream(),
        scheduler: simScheduler(sim.clock),
      }),
    );
    expect(last.state).toBe('completed');
    const served = (sim.stats().requests.byRoute['responses.stream']?.total ?? 0) - before;
    expect(served).toBeGreaterThanOrEqual(1);
    expect((await otel.sum('runstate.requests', { route: 'stream' })) - countedBefore).toBe(served);
    const spans = otel
      .spans()
      .filter((s) => s.name === 'runstate.stream' && s.attributes['runstate.job.id'] === r.id);
    expect(spans).toHaveLength(served);
  }, 30_000);

  it('records nothing for a watch with telemetry: false', async () => {
    const [job] = await createJobs();
    const spansBefore = otel.spans().length;
    const requestsBefore = await otel.sum('runstate.requests');
    const last = await lastValueFrom(
      watchRun({ client, job: job!, scheduler: simScheduler(sim.clock), telemetry: false }),
    );
    expect(last.state).toBe('completed');
    expect(last.calls).toBeGreaterThan(0);
    expect(otel.spans().length).toBe(spansBefore);
    expect(await otel.sum('runstate.requests')).toBe(requestsBefore);
  }, 30_000);
});
