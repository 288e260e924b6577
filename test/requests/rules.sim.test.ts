import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { assistantsRun } from '../../src/kinds/index.js';
import type { JobRef, StatusEvent } from '../../src/model/types.js';
import { cancelJob } from '../../src/requests/cancel-job.js';
import { confirmExpiry } from '../../src/requests/confirm-expiry.js';
import type { RequestDeps } from '../../src/requests/request-deps.js';
import { createRequestMeter } from '../../src/requests/request-meter.js';
import { retryRead } from '../../src/requests/retry-read.js';
import { classifySubmissionError, isWaitingFor, submitOutputs } from '../../src/requests/submit-outputs.js';
import type { SimFaults, Simulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { type DrivenSim, drivenSim } from '../helpers/manual-driver.js';
import { assistantAndThread, scenarioMeta } from '../helpers/sim.js';

// The shared request rules on their own, as the durable queue's worker calls them: a RequestDeps, no machine.

let sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

type RunRef = JobRef & { kind: 'assistants.run' };

async function setUp(faults: SimFaults = {}) {
  const d = await drivenSim(faults);
  sims.push(d.sim);
  const deps = (job: RunRef, signal = new AbortController().signal): RequestDeps => ({
    client: d.client,
    adapter: assistantsRun,
    job,
    scheduler: simScheduler(d.sim.clock),
    signal,
    meter: createRequestMeter(),
    random: () => 0.5,
  });
  return { ...d, deps };
}

async function createRun(d: DrivenSim, scenario: object): Promise<RunRef> {
  const { assistantId, threadId } = await assistantAndThread(d.client);
  const run = await d.client.beta.threads.runs.create(threadId, {
    assistant_id: assistantId,
    metadata: scenarioMeta(scenario),
  });
  return { kind: 'assistants.run', threadId, runId: run.id };
}

/** Drives the clock until `work` settles; resolves with its value, or with the error it rejected with. */
async function settle<T>(d: DrivenSim, work: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  let out: { value?: T; error?: unknown } | undefined;
  work.then(
    (value) => {
      out = { value };
    },
    (error: unknown) => {
      out = { error };
    },
  );
  await d.until(() => out !== undefined);
  return out!;
}

const toolRound = {
  phases: { queued: 100, in_progress: 500 },
  toolCalls: [[{ name: 'lookup', arguments: {} }]],
};

/** Waits (in simulated time) until the run asks for its tool outputs, and returns that observation. */
async function waitingRound(d: Awaited<ReturnType<typeof setUp>>, job: RunRef): Promise<StatusEvent> {
  await d.sim.clock.advance(1000);
  const { value } = await settle(d, retryRead(d.deps(job)));
  expect(value?.state).toBe('requires_action');
  return value!;
}

describe('retryRead', () => {
  it('retries 5xx and dropped connections, and gives up after maxRetries with RetriesExhaustedError', async () => {
    const routes = ['runs.retrieve'];
    const d = await setUp({ serverError: { next: 2, status: 503, routes }, drop: { next: 1, routes } });
    const job = await createRun(d, { phases: { queued: 100, in_progress: 5000 } });
    const deps = d.deps(job);
    const { value } = await settle(d, retryRead(deps));
    expect(value?.status).toBe('in_progress');
    expect(deps.meter.count).toBe(4);

    d.sim.setFaults({ serverError: { probability: 1, status: 500, routes: ['runs.retrieve'] } });
    const { error } = await settle(d, retryRead(d.deps(job), { maxRetries: 2 }));
    expect(error).toMatchObject({ code: 'retries_exhausted', attempts: 3, status: 500 });
  });

  it('waits at least what the server asks (retry-after) before retrying a 429', async () => {
    const d = await setUp({ rateLimit: { next: 1, retryAfterMs: 7000, routes: ['runs.retrieve'] } });
    const job = await createRun(d, { phases: { queued: 100, in_progress: 60_000 } });
    const start = d.sim.clock.now();
    const { value } = await settle(d, retryRead(d.deps(job)));
    expect(value?.status).toBe('in_progress');
    expect(d.sim.clock.now() - start).toBeGreaterThanOrEqual(7000);
  });

  it('fails fast on a 404 with a typed error', async () => {
    const d = await setUp();
    const { error } = await settle(
      d,
      retryRead(d.deps({ kind: 'assistants.run', threadId: 'thread_x', runId: 'run_x' })),
    );
    expect(error).toMatchObject({ code: 'not_found' });
  });
});

describe('confirmExpiry', () => {
  it('keeps asking an unreachable server until the grace after expires_at, then gives up', async () => {
    const d = await setUp({ serverError: { probability: 1, status: 503, routes: ['runs.retrieve'] } });
    const job = await createRun(d, { phases: { queued: 100, in_progress: 60_000 } });
    const start = d.sim.clock.now();
    const { error } = await settle(d, confirmExpiry(d.deps(job), { expiresAt: start, graceMs: 60_000 }));
    expect(error).toMatchObject({ code: 'retries_exhausted' });
    expect(d.sim.clock.now() - start).toBeGreaterThan(30_000);
    expect(d.sim.clock.now() - start).toBeLessThan(60_000);
  });
});

describe('submitOutputs', () => {
  it('says how each submission ended: submitted, landed (answer lost), answered elsewhere', async () => {
    const d = await setUp();
    for (const [fault, outcome] of [
      [{}, 'submitted'],
      [
        { serverError: { next: 1, status: 502, afterHandling: true, routes: ['runs.submitToolOutputs'] } },
        'landed',
      ],
      [{ drop: { next: 1, routes: ['runs.submitToolOutputs'] } }, 'submitted'],
    ] as const) {
      d.sim.setFaults({ serverError: null, drop: null, ...fault } as SimFaults);
      const job = await createRun(d, toolRound);
      const round = await waitingRound(d, job);
      const outputs = round.toolCalls.map((c) => ({ tool_call_id: c.id, output: 'ok' }));
      const { value, error } = await settle(d, submitOutputs(d.deps(job), { outputs }));
      expect(error).toBeUndefined();
      expect(value?.outcome).toBe(outcome);
      expect(
        isWaitingFor(
          value!.event,
          outputs.map((o) => o.tool_call_id),
        ),
      ).toBe(false);
    }

    const job = await createRun(d, toolRound);
    const round = await waitingRound(d, job);
    const outputs = round.toolCalls.map((c) => ({ tool_call_id: c.id, output: 'theirs' }));
    await d.client.beta.threads.runs.submitToolOutputs(job.runId, {
      thread_id: job.threadId,
      tool_outputs: outputs,
    });
    const { value } = await settle(d, submitOutputs(d.deps(job), { outputs }));
    expect(value?.outcome).toBe('answered_elsewhere');
  });

  it('rejects a 400 while the run still waits for the calls (the outputs were wrong), and stops at `until`', async () => {
    const d = await setUp();
    const job = await createRun(d, {
      ...toolRound,
      toolCalls: [
        [
          { name: 'lookup', arguments: {} },
          { name: 'lookup', arguments: { again: true } },
        ],
      ],
    });
    const asked = await waitingRound(d, job);
    // Only one of the two outputs the round needs: the run refuses it and still waits.
    const wrong = [{ tool_call_id: asked.toolCalls[0]!.id, output: 'x' }];
    const { error } = await settle(d, submitOutputs(d.deps(job), { outputs: wrong }));
    expect(error).toMatchObject({ code: 'bad_request', status: 400 });

    d.sim.setFaults({
      rateLimit: { probability: 1, retryAfterMs: 1000, routes: ['runs.submitToolOutputs'] },
    });
    const round = await waitingRound(d, job);
    const outputs = round.toolCalls.map((c) => ({ tool_call_id: c.id, output: 'ok' }));
    const until = d.sim.clock.now() + 10_000;
    const { error: late } = await settle(d, submitOutputs(d.deps(job), { outputs, until }));
    expect(late).toMatchObject({ code: 'retries_exhausted', status: 429 });
    expect(d.sim.clock.now()).toBeLessThan(until);
  });

  it('classifies failures without I/O', () => {
    const job = { kind: 'assistants.run', threadId: 't', runId: 'r' } as const;
    const api = (status: number, message: string) =>
      OpenAI.APIError.generate(status, { message }, message, new Headers());
    const kind = (e: unknown) => classifySubmissionError(e, { job }, 'submitting').kind;
    expect(kind(api(429, 'slow down'))).toBe('not_processed');
    expect(kind(api(503, 'overloaded'))).toBe('fate_unknown');
    expect(kind(new OpenAI.APIConnectionError({ message: 'reset' }))).toBe('fate_unknown');
    expect(kind(api(404, 'no such run'))).toBe('final');
    const refused = classifySubmissionError(
      api(400, 'Runs in status "queued" do not accept tool outputs.'),
      { job },
      'submitting',
    );
    expect(refused).toMatchObject({ kind: 'refused', alreadyAnswered: true });
    expect(
      classifySubmissionError(api(400, 'Expected tool outputs for call_ids'), { job }, 's'),
    ).toMatchObject({
      kind: 'refused',
      alreadyAnswered: false,
    });
  });
});

describe('cancelJob', () => {
  it('sends the cancel again when a read after a 5xx shows the run still running; reads a run that cannot be cancelled', async () => {
    const d = await setUp({ serverError: { next: 1, status: 503, routes: ['runs.cancel'] } });
    const job = await createRun(d, { phases: { queued: 100, in_progress: 60_000 } });
    await d.sim.clock.advance(1000);
    const { value } = await settle(d, cancelJob(d.deps(job)));
    expect(['cancelling', 'cancelled']).toContain(value?.status);
    expect(d.sim.stats().requests.byRoute['runs.cancel']?.byStatus).toEqual({ 503: 1, 200: 1 });

    const done = await createRun(d, { phases: { queued: 100, in_progress: 500 } });
    await d.sim.clock.advance(5000);
    const { value: ended } = await settle(d, cancelJob(d.deps(done)));
    expect(ended?.status).toBe('completed');
  });
});
