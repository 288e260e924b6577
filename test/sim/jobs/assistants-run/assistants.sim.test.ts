import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock, Simulator } from '../../../../src/sim/index.js';
import { assistantAndThread, manualSim, scenarioMeta } from '../../../helpers/sim.js';

let sim: Simulator<ManualClock>;
let client: OpenAI;

afterEach(async () => {
  await sim?.close();
});

async function start(scenario?: object) {
  ({ sim, client } = await manualSim(scenario ? { scenario } : {}));
  return assistantAndThread(client);
}

const FAST = { queued: 1000, in_progress: 2000 };

describe('assistants runs', () => {
  it('walks queued → in_progress → completed on the clock and adds the reply to the thread', async () => {
    const { assistantId, threadId } = await start({ phases: FAST, reply: 'All done.' });
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    expect(run).toMatchObject({
      object: 'thread.run',
      status: 'queued',
      thread_id: threadId,
      assistant_id: assistantId,
    });
    expect(run.id).toMatch(/^run_/);
    expect(run.expires_at).toBe(Math.ceil((sim.clock.now() + 600_000) / 1000));

    const status = async () =>
      (await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId })).status;
    await sim.clock.advance(999);
    expect(await status()).toBe('queued');
    await sim.clock.advance(1);
    expect(await status()).toBe('in_progress');
    await sim.clock.advance(2000);
    const done = await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId });
    expect(done.status).toBe('completed');
    expect(done.completed_at).toBe(Math.floor(sim.clock.now() / 1000));
    expect(done.expires_at).toBeNull();
    expect(done.usage?.total_tokens).toBeGreaterThan(0);

    const messages = await client.beta.threads.messages.list(threadId);
    const [reply, question] = messages.data;
    expect(question?.role).toBe('user');
    expect(reply).toMatchObject({ role: 'assistant', run_id: run.id });
    expect(reply?.content[0]).toEqual({ type: 'text', text: { value: 'All done.', annotations: [] } });
  });

  it('ends failed with last_error, incomplete with incomplete_details, cancelled through cancelling', async () => {
    const { assistantId } = await start({ phases: FAST });
    const create = (scenario: object) =>
      client.beta.threads.createAndRun({ assistant_id: assistantId, metadata: scenarioMeta(scenario) });
    const failed = await create({
      outcome: 'failed',
      error: { code: 'rate_limit_exceeded', message: 'slow down' },
    });
    const incomplete = await create({ outcome: 'incomplete' });
    const cancelled = await create({ outcome: 'cancelled', phases: { cancelling: 500 } });
    await sim.clock.advance(3000);
    const get = (r: OpenAI.Beta.Threads.Run) =>
      client.beta.threads.runs.retrieve(r.id, { thread_id: r.thread_id });
    expect(await get(failed)).toMatchObject({
      status: 'failed',
      last_error: { code: 'rate_limit_exceeded', message: 'slow down' },
      failed_at: expect.any(Number),
    });
    expect(await get(incomplete)).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_completion_tokens' },
    });
    expect((await get(cancelled)).status).toBe('cancelling');
    await sim.clock.advance(500);
    expect(await get(cancelled)).toMatchObject({ status: 'cancelled', cancelled_at: expect.any(Number) });
  });

  it('expires a run scripted never to finish exactly at expires_at', async () => {
    const { assistantId, threadId } = await start({
      phases: FAST,
      outcome: 'expired',
      expiresAfterMs: 60_000,
    });
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    const expiresAtMs = run.expires_at! * 1000;
    await sim.clock.set(expiresAtMs - 1);
    const before = await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId });
    expect(before.status).toBe('in_progress');
    await sim.clock.set(expiresAtMs);
    const after = await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId });
    expect(after.status).toBe('expired');
    expect(sim.job(run.id)?.endedAt).toBe(expiresAtMs);
  });

  it('cancels on request: cancelling, then cancelled; cancelling an ended run is a 400', async () => {
    const { assistantId, threadId } = await start({ phases: { ...FAST, cancelling: 300 } });
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    await sim.clock.advance(1500);
    const cancelling = await client.beta.threads.runs.cancel(run.id, { thread_id: threadId });
    expect(cancelling.status).toBe('cancelling');
    await sim.clock.advance(300);
    expect((await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId })).status).toBe(
      'cancelled',
    );
    const error = await client.beta.threads.runs.cancel(run.id, { thread_id: threadId }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.status).toBe(400);
    expect(error.message).toContain("Cannot cancel run with status 'cancelled'.");
  });
});

describe('tool calls', () => {
  const weather = { name: 'get_weather', arguments: { city: 'Paris' } };
  const time = { name: 'get_time', arguments: '{"tz":"CET"}' };

  it('requires_action → submitToolOutputs → completed, with the reply in the thread', async () => {
    const { assistantId, threadId } = await start({ phases: FAST, toolCalls: [[weather, time]] });
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    await sim.clock.advance(3000);
    const waiting = await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId });
    expect(waiting.status).toBe('requires_action');
    expect(waiting.required_action?.type).toBe('submit_tool_outputs');
    const calls = waiting.required_action!.submit_tool_outputs.tool_calls;
    expect(calls.map((c) => [c.type, c.function.name, c.function.arguments])).toEqual([
      ['function', 'get_weather', '{"city":"Paris"}'],
      ['function', 'get_time', '{"tz":"CET"}'],
    ]);
    expect(calls.every((c) => /^call_/.test(c.id))).toBe(true);

    const submitted = await client.beta.threads.runs.submitToolOutputs(run.id, {
      thread_id: threadId,
      tool_outputs: calls.map((c) => ({ tool_call_id: c.id, output: `${c.function.name}: ok` })),
    });
    expect(submitted.status).toBe('queued');
    expect(submitted.required_action).toBeNull();
    await sim.clock.advance(3000);
    expect((await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId })).status).toBe(
      'completed',
    );
    const [reply] = (await client.beta.threads.messages.list(threadId)).data;
    expect(reply?.content[0]).toMatchObject({ text: { value: expect.stringContaining('get_weather: ok') } });
    expect(sim.job(run.id)?.timeline.map((s) => s.status)).toEqual([
      'queued',
      'in_progress',
      'requires_action',
      'queued',
      'in_progress',
      'completed',
    ]);
  });

  it('asks again for each round, with new call ids', async () => {
    const { assistantId, threadId } = await start({ phases: FAST, toolCalls: [[weather], [time]] });
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    const ids: string[] = [];
    for (const name of ['get_weather', 'get_time']) {
      await sim.clock.advance(3000);
      const r = await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId });
      const call = r.required_action!.submit_tool_outputs.tool_calls[0]!;
      expect(call.function.name).toBe(name);
      ids.push(call.id);
      await client.beta.threads.runs.submitToolOutputs(run.id, {
        thread_id: threadId,
        tool_outputs: [{ tool_call_id: call.id, output: 'x' }],
      });
    }
    await sim.clock.advance(3000);
    expect((await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId })).status).toBe(
      'completed',
    );
    expect(new Set(ids).size).toBe(2);
  });

  it('keeps reading requires_action for submitLagMs after a submission, and refuses a second one', async () => {
    const { assistantId, threadId } = await start({ phases: FAST, toolCalls: [[weather]], submitLagMs: 400 });
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    await sim.clock.advance(3000);
    const r = await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId });
    const call = r.required_action!.submit_tool_outputs.tool_calls[0]!;
    const outputs = { thread_id: threadId, tool_outputs: [{ tool_call_id: call.id, output: 'sunny' }] };
    expect((await client.beta.threads.runs.submitToolOutputs(run.id, outputs)).status).toBe(
      'requires_action',
    );
    await sim.clock.advance(399);
    const lagging = await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId });
    expect(lagging.status).toBe('requires_action');
    expect(lagging.required_action?.submit_tool_outputs.tool_calls[0]?.id).toBe(call.id);
    const again = await client.beta.threads.runs.submitToolOutputs(run.id, outputs).catch((e) => e);
    expect(again).toBeInstanceOf(OpenAI.BadRequestError);
    expect(again.message).toContain('already submitted');
    await sim.clock.advance(1);
    expect((await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId })).status).toBe('queued');
  });

  it('expires when the outputs never come, then refuses them with 400', async () => {
    const { assistantId, threadId } = await start({ phases: FAST, toolCalls: [[weather]] });
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    await sim.clock.advance(3000);
    const waiting = await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId });
    const call = waiting.required_action!.submit_tool_outputs.tool_calls[0]!;
    await sim.clock.set(waiting.expires_at! * 1000);
    const expired = await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId });
    expect(expired).toMatchObject({ status: 'expired', required_action: null, expires_at: null });
    const error = await client.beta.threads.runs
      .submitToolOutputs(run.id, {
        thread_id: threadId,
        tool_outputs: [{ tool_call_id: call.id, output: 'late' }],
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.status).toBe(400);
    expect(error.error).toEqual({
      message: 'Runs in status "expired" do not accept tool outputs.',
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
  });
});

describe('rejections', () => {
  it('refuses tool outputs while the run is not requires_action', async () => {
    const { assistantId, threadId } = await start({ phases: FAST });
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    const error = await client.beta.threads.runs
      .submitToolOutputs(run.id, {
        thread_id: threadId,
        tool_outputs: [{ tool_call_id: 'call_x', output: '1' }],
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toBe('400 Runs in status "queued" do not accept tool outputs.');
  });

  it('refuses a submission missing one of the pending tool_call_ids', async () => {
    const { assistantId, threadId } = await start({
      phases: FAST,
      toolCalls: [[{ name: 'a' }, { name: 'b' }]],
    });
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    await sim.clock.advance(3000);
    const r = await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId });
    const [a, b] = r.required_action!.submit_tool_outputs.tool_calls;
    const error = await client.beta.threads.runs
      .submitToolOutputs(run.id, {
        thread_id: threadId,
        tool_outputs: [{ tool_call_id: a!.id, output: '1' }],
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toBe(
      `400 Expected tool outputs for call_ids ['${a!.id}', '${b!.id}'], got ['${a!.id}']`,
    );
    expect(error.error.param).toBe('tool_outputs');
    // The run still waits for a complete submission.
    expect((await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId })).status).toBe(
      'requires_action',
    );
  });

  it('refuses new messages and a second run while a run is active, and accepts them after', async () => {
    const { assistantId, threadId } = await start({ phases: FAST });
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    const error = await client.beta.threads.messages
      .create(threadId, { role: 'user', content: 'more' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toBe(`400 Can't add messages to ${threadId} while a run ${run.id} is active.`);
    const second = await client.beta.threads.runs
      .create(threadId, { assistant_id: assistantId })
      .catch((e) => e);
    expect(second.status).toBe(400);
    await sim.clock.advance(3000);
    const message = await client.beta.threads.messages.create(threadId, { role: 'user', content: 'more' });
    expect(message.content[0]).toMatchObject({ text: { value: 'more' } });
    const list = await client.beta.threads.messages.list(threadId, { order: 'asc' });
    expect(list.data.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('answers unknown ids with 404 in OpenAI shape', async () => {
    const { assistantId, threadId } = await start();
    const noRun = await client.beta.threads.runs
      .retrieve('run_nope', { thread_id: threadId })
      .catch((e) => e);
    expect(noRun).toBeInstanceOf(OpenAI.NotFoundError);
    expect(noRun.message).toBe("404 No run found with id 'run_nope'.");
    const noThread = await client.beta.threads.runs
      .create('thread_nope', { assistant_id: assistantId })
      .catch((e) => e);
    expect(noThread.message).toBe("404 No thread found with id 'thread_nope'.");
    const noAssistant = await client.beta.threads.runs
      .create(threadId, { assistant_id: 'asst_nope' })
      .catch((e) => e);
    expect(noAssistant).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('lists runs newest first', async () => {
    const { assistantId, threadId } = await start({ phases: FAST });
    const first = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    await sim.clock.advance(3000);
    const second = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    const runs = await client.beta.threads.runs.list(threadId);
    expect(runs.data.map((r) => [r.id, r.status])).toEqual([
      [second.id, 'queued'],
      [first.id, 'completed'],
    ]);
  });
});

describe('run steps', () => {
  it('lists a tool_calls step per round with its calls and outputs, then the message_creation step', async () => {
    const { assistantId, threadId } = await start({
      phases: FAST,
      toolCalls: [[{ name: 'get_weather', arguments: { city: 'Paris' } }, { name: 'get_time' }]],
      reply: 'Sunny, noon.',
    });
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    const steps = async () =>
      (await client.beta.threads.runs.steps.list(run.id, { thread_id: threadId, order: 'asc' })).data;
    expect(await steps()).toEqual([]);
    await sim.clock.advance(3000); // requires_action
    const [waiting] = await steps();
    const calls = (await client.beta.threads.runs.retrieve(run.id, { thread_id: threadId })).required_action!
      .submit_tool_outputs.tool_calls;
    expect(waiting).toMatchObject({
      object: 'thread.run.step',
      type: 'tool_calls',
      status: 'in_progress',
      run_id: run.id,
      thread_id: threadId,
      assistant_id: assistantId,
      completed_at: null,
      usage: null,
      step_details: {
        type: 'tool_calls',
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { ...c.function, output: null },
        })),
      },
    });
    expect(waiting!.id).toMatch(/^step_/);
    await client.beta.threads.runs.submitToolOutputs(run.id, {
      thread_id: threadId,
      tool_outputs: calls.map((c) => ({ tool_call_id: c.id, output: `${c.function.name} ok` })),
    });
    await sim.clock.advance(1000); // queued → in_progress: the reply is being written
    const [tools, writing] = await steps();
    expect(tools).toMatchObject({ id: waiting!.id, status: 'completed', completed_at: expect.any(Number) });
    expect(
      tools!.step_details.type === 'tool_calls' &&
        tools!.step_details.tool_calls.map((c) => c.type === 'function' && c.function.output),
    ).toEqual(['get_weather ok', 'get_time ok']);
    expect(writing).toMatchObject({ type: 'message_creation', status: 'in_progress' });
    await sim.clock.advance(2000);
    const [, written] = await steps();
    const messages = await client.beta.threads.messages.list(threadId);
    expect(written).toMatchObject({
      id: writing!.id,
      status: 'completed',
      step_details: { type: 'message_creation', message_creation: { message_id: messages.data[0]!.id } },
    });
    expect(messages.data[0]).toMatchObject({ role: 'assistant', run_id: run.id });
    const one = await client.beta.threads.runs.steps.retrieve(written!.id, {
      thread_id: threadId,
      run_id: run.id,
    });
    expect(one).toEqual(written);
    // Newest first by default, as every list.
    expect(
      (await client.beta.threads.runs.steps.list(run.id, { thread_id: threadId })).data.map((s) => s.id),
    ).toEqual([written!.id, tools!.id]);
    const missing = await client.beta.threads.runs.steps
      .retrieve('step_nope', { thread_id: threadId, run_id: run.id })
      .catch((e) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('ends the open step with the run: expired waiting for outputs, failed with the last_error', async () => {
    const { assistantId } = await start({ phases: FAST });
    const expiring = await client.beta.threads.createAndRun({
      assistant_id: assistantId,
      metadata: scenarioMeta({ toolCalls: [[{ name: 'f' }]], expiresAfterMs: 10_000 }),
    });
    const failing = await client.beta.threads.createAndRun({
      assistant_id: assistantId,
      metadata: scenarioMeta({
        outcome: 'failed',
        error: { code: 'rate_limit_exceeded', message: 'slow down' },
      }),
    });
    await sim.clock.advance(11_000);
    const [tools] = (
      await client.beta.threads.runs.steps.list(expiring.id, { thread_id: expiring.thread_id })
    ).data;
    expect(tools).toMatchObject({ type: 'tool_calls', status: 'expired', expired_at: expect.any(Number) });
    const [message] = (
      await client.beta.threads.runs.steps.list(failing.id, { thread_id: failing.thread_id })
    ).data;
    expect(message).toMatchObject({
      type: 'message_creation',
      status: 'failed',
      last_error: { code: 'rate_limit_exceeded', message: 'slow down' },
    });
  });
});
