import { getEventListeners } from 'node:events';
import type OpenAI from 'openai';
import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { z } from 'zod';
import {
  isRunstateError,
  type JobRef,
  poll,
  RunNotCompletedError,
  type RunSnapshot,
  tool,
  type WatchRunOptions,
  waitForRun,
  watchRun,
} from '../../src/index.js';
import { type Scenario, type Simulator, startSimulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { assistantAndThread, createBatch, scenarioMeta, simClient } from '../helpers/sim.js';

// The simulator and the watcher share one clock running 50× real time: a 10-minute expiry takes 12 s of wall
// clock, a 3 s run 60 ms, and the default poll schedule (500 ms ×1.5, 5 s cap) keeps its real shape.
const SPEED = 50;

let sim: Simulator;
let client: OpenAI;

beforeEach(async () => {
  sim = await startSimulator({ clock: { speed: SPEED }, seed: 7 });
  client = simClient(sim);
});
afterEach(async () => {
  await sim.close();
});

const base = (): Pick<WatchRunOptions, 'client' | 'scheduler'> => ({
  client,
  scheduler: simScheduler(sim.clock),
});

async function createRun(scenario: Scenario): Promise<JobRef & { kind: 'assistants.run' }> {
  const { assistantId, threadId } = await assistantAndThread(client);
  const run = await client.beta.threads.runs.create(threadId, {
    assistant_id: assistantId,
    metadata: scenarioMeta(scenario),
  });
  return { kind: 'assistants.run', threadId, runId: run.id };
}

async function createResponse(scenario: Scenario): Promise<JobRef> {
  const r = await client.responses.create({
    model: 'gpt-4o-mini',
    input: 'hi',
    background: true,
    metadata: scenarioMeta(scenario),
  });
  return { kind: 'response', id: r.id };
}

/**
 * Every request the watch counted is one the simulator saw, except at most one still in flight when the watch
 * ended (a poll racing the expiry check, say): it is aborted, counted as sent, and may never reach the server.
 */
function expectCallsSeenByServer(last: RunSnapshot): void {
  const seen = sim.job(last.id)!.retrieves;
  expect(last.calls).toBeGreaterThanOrEqual(seen);
  expect(last.calls).toBeLessThanOrEqual(seen + 1);
}

const all = (options: WatchRunOptions) => lastValueFrom(watchRun(options).pipe(toArray()));
const quick: Scenario['phases'] = {
  queued: 200,
  in_progress: 1500,
  validating: 300,
  finalizing: 300,
  cancelling: 300,
};

describe('watchRun: every terminal outcome of every kind, through the SDK and the simulator', () => {
  const cases = [
    ...(['completed', 'failed', 'cancelled', 'expired', 'incomplete'] as const).map(
      (o) => ['assistants.run', o] as const,
    ),
    ...(['completed', 'failed', 'cancelled', 'incomplete'] as const).map((o) => ['response', o] as const),
    ...(['completed', 'failed', 'cancelled', 'expired'] as const).map((o) => ['batch', o] as const),
  ];
  it.each(cases)('%s ending %s is a value, not an error', async (kind, outcome) => {
    const scenario: Scenario = {
      phases: quick,
      outcome,
      error: { code: 'server_error', message: 'boom' },
      // Runs expire after 10 min and batches after 24 h by default: past the default maxWaitMs.
      ...(outcome === 'expired' ? { expiresAfterMs: 20_000 } : {}),
    };
    const job =
      kind === 'assistants.run'
        ? await createRun(scenario)
        : kind === 'response'
          ? await createResponse(scenario)
          : await createBatch(client, scenario);
    const snapshots = await all({ ...base(), job });
    const last = snapshots.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.state).toBe(outcome);
    expect(snapshots[0]!.state).toBe('queued');
    expect(snapshots[0]!.calls).toBe(0);
    expectCallsSeenByServer(last);
    if (outcome === 'failed' && kind !== 'batch') {
      const job = last.job as { last_error?: { message: string }; error?: { message: string } };
      expect((job.last_error ?? job.error)?.message).toBe('boom');
    }
  });

  it('waitForRun resolves with the completed job and rejects with the last snapshot otherwise', async () => {
    const ok = await createResponse({ phases: quick });
    const response = await waitForRun({ ...base(), job: ok });
    expect(response.status).toBe('completed');

    const bad = await createResponse({
      phases: quick,
      outcome: 'failed',
      error: { message: 'model fell over' },
    });
    const error = await waitForRun({ ...base(), job: bad }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunNotCompletedError);
    expect((error as RunNotCompletedError).snapshot.state).toBe('failed');
    expect((error as RunNotCompletedError).message).toContain('model fell over');
  });
});

describe('watchRun: requires_action', () => {
  it('calls each handler once per tool call, submits all outputs in one request, and completes', async () => {
    const job = await createRun({
      phases: quick,
      toolCalls: [
        [
          { name: 'get_weather', arguments: { city: 'Paris' } },
          { name: 'get_time', arguments: { tz: 'CET' } },
        ],
      ],
    });
    const calls: string[] = [];
    const last = await lastValueFrom(
      watchRun({
        ...base(),
        job,
        tools: {
          get_weather: tool(z.object({ city: z.string() }), ({ city }, call) => {
            calls.push(`weather:${city}:${call.id}`);
            return { city, sky: 'clear' };
          }),
          get_time: async (args) => {
            calls.push(`time:${(args as { tz: string }).tz}`);
            return '12:00';
          },
        },
      }),
    );
    expect(last.state).toBe('completed');
    expect(calls).toHaveLength(2);
    expect(calls.some((c) => c.startsWith('weather:Paris:call_'))).toBe(true);
    expect(calls).toContain('time:CET');
    expect(sim.stats().requests.byRoute['runs.submitToolOutputs']?.total).toBe(1);
    const messages = await client.beta.threads.messages.list(job.threadId);
    expect(messages.data.some((m) => m.role === 'assistant')).toBe(true);
  });

  it('does not submit twice while a slow submission is in flight and polls keep reading requires_action', async () => {
    sim.setFaults({ latency: { ms: 400, routes: ['runs.submitToolOutputs'] } });
    const job = await createRun({
      phases: quick,
      toolCalls: [[{ name: 'lookup', arguments: { q: 'x' } }]],
      submitLagMs: 3000,
    });
    let handled = 0;
    const snapshots = await all({
      ...base(),
      job,
      source: poll({ initialDelayMs: 100, factor: 1, maxDelayMs: 100, jitter: 'none' }),
      tools: {
        lookup: () => {
          handled++;
          return 'found';
        },
      },
    });
    expect(snapshots.at(-1)!.state).toBe('completed');
    expect(handled).toBe(1);
    expect(sim.stats().requests.byRoute['runs.submitToolOutputs']?.total).toBe(1);
    // The fixed 100 ms poll really did read requires_action while the submission was slow and after it.
    expect(sim.job(job.runId)!.retrieves).toBeGreaterThan(10);
  });

  it('leaves a run whose tool has no handler to the user, says so, and ends expired at expires_at', async () => {
    const job = await createRun({
      phases: quick,
      toolCalls: [[{ name: 'delete_account', arguments: {} }]],
      expiresAfterMs: 20_000,
    });
    const snapshots = await all({ ...base(), job, tools: { something_else: () => 'x' } });
    const blocked = snapshots.find((s) => s.state === 'requires_action');
    expect(blocked?.missingHandlers).toEqual(['delete_account']);
    expect(blocked?.pendingToolCalls.map((c) => c.name)).toEqual(['delete_account']);
    expect(blocked?.note).toContain('delete_account');
    const last = snapshots.at(-1)!;
    expect(last.state).toBe('expired');
    expect(sim.stats().requests.byRoute['runs.submitToolOutputs']).toBeUndefined();
    const run = sim.job(job.runId)!;
    expect(last.at).toBeGreaterThanOrEqual(run.endedAt!);
  });

  it("reports a throwing handler's message as the output by default", async () => {
    const job = await createRun({ phases: quick, toolCalls: [[{ name: 'flaky', arguments: {} }]] });
    const last = await lastValueFrom(
      watchRun({
        ...base(),
        job,
        tools: {
          flaky: () => {
            throw new Error('upstream down');
          },
        },
      }),
    );
    expect(last.state).toBe('completed');
    expect(sim.stats().requests.byRoute['runs.submitToolOutputs']?.total).toBe(1);
  });

  it("checks arguments with the tool's schema: a bad argument is a tool error and the handler does not run", async () => {
    const job = await createRun({
      phases: quick,
      toolCalls: [[{ name: 'get_weather', arguments: { city: 42 } }]],
    });
    let ran = 0;
    const weather = tool(z.object({ city: z.string() }), ({ city }) => {
      ran++;
      return city.toUpperCase();
    });
    const last = await lastValueFrom(watchRun({ ...base(), job, tools: { get_weather: weather } }));
    expect(last.state).toBe('completed');
    expect(ran).toBe(0);
    // The refusal went to the model as the call's output, so it can try again.
    const messages = await client.beta.threads.messages.list(job.threadId);
    const reply = JSON.stringify(messages.data.map((m) => m.content));
    expect(reply).toContain('error: tool get_weather');
    expect(reply).toContain('bad arguments: city:');

    const strict = await createRun({
      phases: quick,
      toolCalls: [[{ name: 'get_weather', arguments: { town: 'Paris' } }]],
    });
    const error = await lastValueFrom(
      watchRun({ ...base(), job: strict, onToolError: 'fail', tools: { get_weather: weather } }),
    ).catch((e: unknown) => e);
    expect(isRunstateError(error) && error.code).toBe('tool_handler_failed');
    expect(ran).toBe(0);
  });

  it("fails the watch with ToolHandlerError under onToolError: 'fail', submitting nothing", async () => {
    const job = await createRun({ phases: quick, toolCalls: [[{ name: 'flaky', arguments: {} }]] });
    const error = await lastValueFrom(
      watchRun({
        ...base(),
        job,
        onToolError: 'fail',
        tools: {
          flaky: () => {
            throw new Error('upstream down');
          },
        },
      }),
    ).catch((e: unknown) => e);
    expect(isRunstateError(error) && error.code).toBe('tool_handler_failed');
    expect(sim.stats().requests.byRoute['runs.submitToolOutputs']).toBeUndefined();
  });
});

describe('watchRun: time, abort and faults', () => {
  it('gives up at maxWaitMs with timed_out and leaves the job alone', async () => {
    const job = await createResponse({ phases: { queued: 200, in_progress: 600_000 } });
    const snapshots = await all({ ...base(), job, maxWaitMs: 20_000 });
    const last = snapshots.at(-1)!;
    expect(last.state).toBe('timed_out');
    expect(last.status).toBe('in_progress');
    expect(last.note).toContain('may still be running');
    // The moment it gave up is the deadline, not its last poll.
    expect(last.at).toBe(snapshots[0]!.at + 20_000);
    // The poll stops at the deadline: no retrieve goes out after the watcher gave up.
    const retrievesAtEnd = sim.job(last.id)!.retrieves;
    expect(last.calls).toBe(retrievesAtEnd);
    await new Promise((r) => setTimeout(r, 200));
    expect(sim.job(last.id)!.retrieves).toBe(retrievesAtEnd);
    expect(sim.stats().requests.byRoute['responses.cancel']).toBeUndefined();
    expect((await client.responses.retrieve(job.kind === 'response' ? job.id : '')).status).toBe(
      'in_progress',
    );
  });

  it('stops watching on abort without touching the job, and cancels it with cancelOnAbort', async () => {
    for (const cancelOnAbort of [false, true]) {
      const job = await createResponse({ phases: { queued: 200, in_progress: 600_000 } });
      const controller = new AbortController();
      const snapshots: RunSnapshot[] = [];
      const done = lastValueFrom(
        watchRun({ ...base(), job, signal: controller.signal, cancelOnAbort }).pipe(toArray()),
      ).then((s) => snapshots.push(...s));
      await new Promise((r) => setTimeout(r, 100));
      controller.abort();
      await done;
      const last = snapshots.at(-1)!;
      const id = job.kind === 'response' ? job.id : '';
      const cancels = sim.stats().requests.byRoute['responses.cancel']?.total ?? 0;
      if (cancelOnAbort) {
        expect(cancels).toBe(1);
        // The server answered the cancel with a final status: that is the job's outcome, and the watch is done.
        expect([last.state, last.status, last.done]).toEqual(['cancelled', 'cancelled', true]);
        expect(last.note).toBeUndefined();
        expect((await client.responses.retrieve(id)).status).toBe('cancelled');
      } else {
        expect([last.state, last.done]).toEqual(['in_progress', false]);
        expect(cancels).toBe(0);
        expect((await client.responses.retrieve(id)).status).toBe('in_progress');
      }
    }
  });

  it('shares one abort listener among many watches on one signal: no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const jobs = await Promise.all(
        Array.from({ length: 12 }, () => createResponse({ phases: { queued: 200, in_progress: 600_000 } })),
      );
      const controller = new AbortController();
      const ends = jobs.map((job) => lastValueFrom(watchRun({ ...base(), job, signal: controller.signal })));
      await new Promise((r) => setTimeout(r, 100));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      controller.abort();
      const lasts = await Promise.all(ends);
      expect(lasts.map((s) => [s.done, s.note?.startsWith('stopped watching on abort')])).toEqual(
        jobs.map(() => [false, true]),
      );
      // Node reports the warning on the next tick of the loop.
      await new Promise((r) => setTimeout(r, 10));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('refuses a tools entry that is neither a handler nor tool(schema, handler)', async () => {
    const job = await createResponse({ phases: quick });
    for (const tools of [{ f: 42 }, { f: { schema: {}, handler: () => 'x' } }, { f: null }, 'get_weather']) {
      const error = await lastValueFrom(watchRun({ ...base(), job, tools: tools as never })).catch(
        (e: unknown) => e,
      );
      expect(isRunstateError(error) && error.code).toBe('bad_configuration');
      expect((error as Error).message).toMatch(/tools/);
    }
    expect(sim.stats().requests.byRoute['responses.retrieve']).toBeUndefined();
  });

  it('rides out a 429 storm and 5xx answers: the run still ends, as a value', async () => {
    sim.setFaults({
      rateLimit: { next: 4, retryAfterMs: 300, routes: ['responses.retrieve'] },
      serverError: [{ probability: 0.3, status: 503, routes: ['responses.retrieve'] }],
    });
    const job = await createResponse({ phases: quick });
    const last = await lastValueFrom(watchRun({ ...base(), job }));
    expect(last.state).toBe('completed');
    expect(sim.stats().rateLimited).toBe(4);
    expectCallsSeenByServer(last);
  });

  it('fails fast with typed errors on 404 and 401', async () => {
    const missing = await lastValueFrom(
      watchRun({ ...base(), job: { kind: 'response', id: 'resp_nope' } }),
    ).catch((e: unknown) => e);
    expect(isRunstateError(missing) && missing.code).toBe('not_found');
    expect(sim.stats().requests.byRoute['responses.retrieve']?.total).toBe(1);

    const locked = await startSimulator({ clock: { speed: SPEED }, apiKey: 'sk-right' });
    try {
      const wrong = simClient(locked, { apiKey: 'sk-wrong' });
      const error = await lastValueFrom(
        watchRun({
          client: wrong,
          job: { kind: 'batch', id: 'batch_x' },
          scheduler: simScheduler(locked.clock),
        }),
      ).catch((e: unknown) => e);
      expect(isRunstateError(error) && error.code).toBe('authentication');
      expect(String((error as Error).message)).not.toContain('sk-wrong');
    } finally {
      await locked.close();
    }
  });

  it('rejects bad options with a typed configuration error', async () => {
    const error = await lastValueFrom(
      watchRun({ ...base(), job: { kind: 'response', id: '' }, maxWaitMs: -1 }),
    ).catch((e: unknown) => e);
    expect(isRunstateError(error) && error.code).toBe('bad_configuration');
    expect(sim.stats().requests.total).toBe(0);
  });
});

describe('watchRun: sharing, laziness, inspection', () => {
  it('is lazy, and many subscribers share one watch', async () => {
    const job = await createResponse({ phases: quick });
    const run$ = watchRun({ ...base(), job });
    await new Promise((r) => setTimeout(r, 100));
    expect(sim.job(job.kind === 'response' ? job.id : '')!.retrieves).toBe(0);
    const [a, b] = await Promise.all([lastValueFrom(run$), lastValueFrom(run$)]);
    expect(a).toBe(b);
    expect(a.state).toBe('completed');
    expect(sim.job(a.id)!.retrieves).toBe(a.calls);
    // After the end, a late subscriber gets the terminal snapshot without a new watch.
    expect(await lastValueFrom(run$)).toBe(a);
    expect(sim.job(a.id)!.retrieves).toBe(a.calls);
  });

  it('reports to an inspector what the machine does', async () => {
    const job = await createResponse({ phases: quick });
    const events: InspectionEvent[] = [];
    await lastValueFrom(watchRun({ ...base(), job, inspect: (e) => events.push(e) }));
    const snapshots = events.filter((e) => e.type === '@xstate.snapshot');
    expect(snapshots.length).toBeGreaterThan(2);
    expect(events.some((e) => e.type === '@xstate.event' && e.event.type === 'status')).toBe(true);
  });
});
