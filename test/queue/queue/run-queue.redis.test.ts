import { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { isRunstateError } from '../../../src/index.js';
import type { AgentSession } from '../../../src/kinds/agent-session/types.js';
import { NO_STATES } from '../../../src/model/states.js';
import { watchJobId } from '../../../src/queue/index.js';
import { SLIM } from '../../../src/queue/worker/slim-job.js';
import { createAgentSession } from '../../helpers/agent-session.js';
import { type QueueFixture, queueFixture, REDIS } from '../fixture.js';

let f: QueueFixture;
afterEach(async () => {
  await f?.close();
});

const quick = { queued: 200, in_progress: 1500 };

describe('runstate/queue: durable watches through BullMQ, the SDK and the simulator', () => {
  it('watches a response to its end, observed from the start, and resolves result() with the terminal snapshot', async () => {
    f = await queueFixture('basic');
    await f.addWorker();
    const job = await f.createResponse({
      phases: { queued: 200, in_progress: 20_000 },
      outcome: 'completed',
    });
    const id = await f.runs.watch(job);
    expect(await f.runs.watch(job)).toBe(id);
    const observed = lastValueFrom(f.runs.observe(job).pipe(toArray()));
    // Idle between steps, the watch stores the full Response once, in its published snapshot; the machine keeps
    // a slim object (what it decides from), here only the marker, since the published one has the same slim fields.
    let stored:
      | { machine?: { context: { latest?: Record<string, unknown> } }; snapshot?: { job?: unknown } }
      | undefined;
    while (!stored?.machine?.context.latest) {
      await new Promise((r) => setTimeout(r, 50));
      stored = (await Job.fromId(f.runs.queue, id))?.data;
    }
    const latest = stored.machine!.context.latest!;
    expect(latest).toEqual({ [SLIM]: true });
    expect(stored.snapshot?.job).toMatchObject({ id: (job as { id: string }).id, model: expect.any(String) });
    // Stepping or stepped: counted by the state its job had at its last step.
    const mid = await f.runs.counts();
    expect(mid).toMatchObject({ starting: 0, byState: expect.objectContaining({ completed: 0 }) });
    expect(mid.byState.queued + mid.byState.in_progress).toBe(1);
    const snapshots = await observed;
    expect(snapshots[0]!.state).toBe('queued');
    expect(snapshots.map((s) => s.state)).toContain('in_progress');
    const last = snapshots.at(-1)!;
    expect(last).toMatchObject({ state: 'completed', status: 'completed', done: true });
    // The snapshots observe() and result() deliver carry the full object.
    expect(last.job).toMatchObject({
      status: 'completed',
      model: expect.any(String),
      output: expect.any(Array),
    });
    expect(last.job).not.toHaveProperty(SLIM);
    expect(snapshots.find((s) => s.state === 'in_progress')!.job).toHaveProperty('model');
    // Every request the watch counted reached the server: reads only, one per step.
    expect(last.calls).toBe(f.sim.job(last.id)!.retrieves);
    expect(await f.runs.result(job)).toEqual(last);
    // The capped event stream carries notices of change; the full object is stored once, in the job.
    const redis = new Redis(REDIS);
    const events = await redis.xrange(f.runs.queue.keys.events!, '-', '+');
    redis.disconnect();
    const notices = events
      .map(([, fields]) => Object.fromEntries(fields.flatMap((v, i) => (i % 2 ? [] : [[v, fields[i + 1]]]))))
      .filter((e) => e.event === 'progress' && e.jobId === id)
      .map((e) => JSON.parse(e.data!));
    expect(notices.length).toBeGreaterThanOrEqual(1);
    for (const n of notices) expect(n).toEqual({ state: expect.any(String) });
    // A late observer gets the terminal snapshot, read from the job, and completes.
    expect(await lastValueFrom(f.runs.observe(job).pipe(toArray()))).toEqual([last]);
    expect(await f.runs.counts()).toMatchObject({
      completed: 1,
      failed: 0,
      active: 0,
      delayed: 0,
      starting: 0,
      byState: { ...NO_STATES, completed: 1 },
    });
  });

  it('ends every outcome as a value, and a run past its deadline as timed_out', async () => {
    f = await queueFixture('outcomes');
    await f.addWorker({ concurrency: 5 });
    const failed = await f.createResponse({ phases: quick, outcome: 'failed', error: { message: 'boom' } });
    const incomplete = await f.createResponse({ phases: quick, outcome: 'incomplete' });
    const slow = await f.createRun({ phases: { queued: 100, in_progress: 600_000 } });
    await f.runs.watch(failed);
    await f.runs.watch(incomplete);
    // 20 s of the simulator's clock is 1 s of wall time at ×20: a loaded worker still reads the run before the
    // deadline, so the timed_out snapshot carries the Run it read (5 s, 250 ms of wall time, ended some unread).
    await f.runs.watch(slow, { maxWaitMs: 20_000 });
    const [a, b, c] = await Promise.all([failed, incomplete, slow].map((j) => f.runs.result(j)));
    expect(a).toMatchObject({ state: 'failed', done: true });
    expect(b).toMatchObject({ state: 'incomplete', done: true });
    expect(c).toMatchObject({ state: 'timed_out', done: true });
    expect(c!.note).toContain('may still be running');
    // Ended by the deadline, maybe without a read: the full Run comes back from the published snapshot.
    expect(c!.job).toMatchObject({ object: 'thread.run', model: expect.any(String) });
    expect(c!.job).not.toHaveProperty(SLIM);
    expect(await f.runs.counts()).toMatchObject({
      starting: 0,
      stopped: 0,
      errors: 0,
      byState: { ...NO_STATES, failed: 1, incomplete: 1, timed_out: 1 },
    });
  });

  it('counts a watch no worker has stepped as starting', async () => {
    f = await queueFixture('starting');
    await f.runs.watch(await f.createResponse({ phases: quick, outcome: 'completed' }));
    expect(await f.runs.counts()).toMatchObject({ starting: 1, byState: NO_STATES, completed: 0 });
  });

  it('answers tool calls once, with the call id, and the simulator sees one submission', async () => {
    f = await queueFixture('tools');
    const seen: string[] = [];
    await f.addWorker({
      tools: {
        get_weather: (args, call) => {
          seen.push(call.id);
          return { city: (args as { city: string }).city, sky: 'clear' };
        },
      },
    });
    const job = await f.createRun({
      phases: quick,
      toolCalls: [
        [{ name: 'get_weather', arguments: { city: 'Paris' } }],
        [{ name: 'get_weather', arguments: { city: 'Oslo' } }],
      ],
      outcome: 'completed',
    });
    await f.runs.watch(job);
    const last = await f.runs.result(job);
    expect(last.state).toBe('completed');
    expect(seen).toHaveLength(2);
    expect(new Set(seen).size).toBe(2);
    const submissions = f.sim.stats().requests.byRoute['runs.submitToolOutputs'];
    expect(submissions?.total).toBe(2);
  });

  it("decides an agent session's approvals with the worker's `approvals` handler, once per request id", async () => {
    f = await queueFixture('approvals');
    const asked: string[] = [];
    await f.addWorker({
      approvals: (approval) => {
        asked.push(`${approval.kind}:${approval.id}`);
        return approval.kind === 'mcp' ? 'approve' : 'deny';
      },
    });
    const session = await createAgentSession(f.client, {
      environment: { type: 'none' },
      input: 'Clean up',
      metadata: {
        sim_scenario: JSON.stringify({
          phases: { in_progress: 1500 },
          toolCalls: [
            [
              { name: 'delete_branch', type: 'mcp_approval', arguments: { branch: 'old' } },
              { name: 'https://example.com', type: 'computer_use_approval' },
            ],
          ],
          outcome: 'completed',
        }),
      },
    });
    const job = { kind: 'agent.session' as const, sessionId: session.id };
    await f.runs.watch(job);
    const last = await f.runs.result(job);
    expect(last).toMatchObject({ state: 'completed', status: 'completed', missingHandlers: [] });
    expect(asked).toHaveLength(2);
    expect(new Set(asked).size).toBe(2);
    const answers = (f.sim.job(session.id)?.answers ?? []) as Record<string, unknown>[];
    expect(answers).toEqual([
      expect.objectContaining({
        type: 'agent.session.input.mcp_approval_request_result',
        response: { type: 'mcp_tool_call', decision: 'approve' },
      }),
      expect.objectContaining({
        type: 'agent.session.input.computer_use_approval_request_result',
        response: { type: 'browser_origin_access', decision: 'deny' },
      }),
    ]);
  });

  it('leaves approvals unanswered without an `approvals` handler: the turn waits', async () => {
    f = await queueFixture('no-approvals');
    await f.addWorker({ tools: { get_weather: () => 'clear' } });
    const session = await createAgentSession(f.client, {
      environment: { type: 'none' },
      input: 'Clean up',
      metadata: {
        sim_scenario: JSON.stringify({
          phases: { in_progress: 500 },
          toolCalls: [[{ name: 'delete_branch', type: 'mcp_approval' }]],
        }),
      },
    });
    const job = { kind: 'agent.session' as const, sessionId: session.id };
    await f.runs.watch(job, { maxWaitMs: 5000 });
    const last = await f.runs.result(job);
    // The turn still waits for the approval, which nothing answered.
    expect(last).toMatchObject({ state: 'timed_out', status: 'requires_action' });
    expect((last.job as AgentSession).required_actions).toEqual([
      expect.objectContaining({ type: 'mcp_approval_request' }),
    ]);
    expect(f.sim.job(session.id)?.answers).toEqual([]);
  });

  it("answers an agent session's function calls once per call id through events.create, and counts both requests", async () => {
    f = await queueFixture('session');
    const seen: string[] = [];
    await f.addWorker({
      tools: {
        get_weather: (_args, call) => {
          seen.push(call.id);
          return 'clear';
        },
      },
    });
    const session = await createAgentSession(f.client, {
      environment: { type: 'none' },
      input: 'Weather?',
      metadata: {
        sim_scenario: JSON.stringify({
          phases: { in_progress: 1500 },
          toolCalls: [[{ name: 'get_weather' }, { name: 'get_weather' }], [{ name: 'get_weather' }]],
          outcome: 'completed',
        }),
      },
    });
    const job = { kind: 'agent.session' as const, sessionId: session.id };
    await f.runs.watch(job);
    const last = await f.runs.result(job);
    expect(last).toMatchObject({ state: 'completed', status: 'completed' });
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(3);
    const answers = (f.sim.job(session.id)?.answers ?? []) as { call_id: string }[];
    expect(answers.map((a) => a.call_id).sort()).toEqual([...seen].sort());
    const routes = f.sim.stats().requests.byRoute;
    expect(routes['sessions.events.create']?.total).toBe(2);
    expect(last.calls).toBe(f.sim.job(session.id)!.requests - 1);
  });

  it('ends a watch of a job that 404s with a typed error visible to observe, without retrying it', async () => {
    f = await queueFixture('404');
    await f.addWorker();
    const job = { kind: 'response' as const, id: 'resp_does_not_exist' };
    await f.runs.watch(job);
    const error = await lastValueFrom(f.runs.observe(job)).catch((e: unknown) => e);
    expect(isRunstateError(error) && error.code).toBe('not_found');
    const bull = await f.runs.queue.getJob(watchJobId(job));
    expect(bull?.attemptsMade).toBe(1);
    expect(f.sim.stats().requests.byRoute['responses.retrieve']?.total).toBe(1);
    await expect(f.runs.result(job)).rejects.toMatchObject({ code: 'not_found' });
    expect(await f.runs.counts()).toMatchObject({ errors: 1, failed: 1, starting: 0, byState: NO_STATES });
  });

  it('cancel() stops a sleeping watch at once, and with cancelJob cancels the job on the server', async () => {
    f = await queueFixture('cancel');
    await f.addWorker({ poll: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    const stopOnly = await f.createRun({ phases: { queued: 100, in_progress: 600_000 } });
    const cancelToo = await f.createRun({ phases: { queued: 100, in_progress: 600_000 } });
    await f.runs.watch(stopOnly);
    await f.runs.watch(cancelToo);
    const firstChange = (job: typeof stopOnly) =>
      new Promise<void>((resolve) => {
        const sub = f.runs.observe(job).subscribe((s) => {
          if (s.state === 'in_progress') {
            resolve();
            setImmediate(() => sub.unsubscribe());
          }
        });
      });
    await Promise.all([firstChange(stopOnly), firstChange(cancelToo)]);
    await f.runs.cancel(stopOnly);
    await f.runs.cancel(cancelToo, { cancelJob: true });
    const [a, b] = await Promise.all([f.runs.result(stopOnly), f.runs.result(cancelToo)]);
    expect(a.note).toContain('stopped watching');
    expect(b.note).toContain('stopped watching');
    expect(b.status).toBe('cancelling');
    const id = (j: typeof stopOnly) => (j.kind === 'assistants.run' ? j.runId : '');
    expect(f.sim.job(id(stopOnly))!.timeline.map((t) => t.status)).not.toContain('cancelling');
    expect(f.sim.job(id(cancelToo))!.timeline.map((t) => t.status)).toContain('cancelling');
    expect(f.sim.stats().requests.byRoute['runs.cancel']?.total).toBe(1);
    // Stopped long before the minute-long poll would have looked again.
    expect(a.at - f.sim.job(id(stopOnly))!.createdAt).toBeLessThan(40_000);
    expect(await f.runs.counts()).toMatchObject({ stopped: 2, completed: 2, byState: NO_STATES });
  });

  it("obliterate() removes every key of the queue, runstate's beside BullMQ's", async () => {
    f = await queueFixture('obliterate');
    await f.addWorker();
    const job = await f.createResponse({ phases: quick, outcome: 'completed' });
    await f.runs.watch(job);
    await f.runs.result(job);
    await f.runs.watch({ kind: 'response', id: 'resp_never_stepped' });
    await f.runs.cancel({ kind: 'response', id: 'resp_never_stepped' });
    const redis = await f.runs.queue.backend.client;
    const keys = async () => (await redis.scan('0', { MATCH: `bull:${f.name}:*`, COUNT: 10_000 }))[1].sort();
    expect(await keys()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/:runstate-tally$/),
        expect.stringMatching(/:runstate-cancel:/),
      ]),
    );
    for (const w of f.workers) await w.close();
    await f.runs.obliterate();
    // All gone but BullMQ's rate-limit window, which expires on its own (its obliterate leaves it too).
    expect((await keys()).filter((k) => !k.endsWith(':limiter'))).toEqual([]);
  });
});
