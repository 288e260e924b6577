import type OpenAI from 'openai';
import { APIError, BadRequestError } from 'openai';
import type { Stream } from 'openai/core/streaming';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock, Simulator } from '../../../../src/sim/index.js';
import { OPENAI_MAJOR } from '../../../helpers/sdk.js';
import { manualSim, scenarioMeta } from '../../../helpers/sim.js';

// The simulator streams background responses over SSE, read here with the official SDK's own Stream.

let sim: Simulator<ManualClock>;
let client: OpenAI;

afterEach(async () => {
  await sim?.close();
});

const phases = { queued: 100, in_progress: 1000 };
const deltas = ['Autumn ', 'moon, ', 'a ', 'quiet ', 'pond'];
const TEXT = deltas.join('');

function createStreamed(scenario: object = {}) {
  return client.responses.create({
    model: 'gpt-4o-mini',
    input: 'Write a haiku',
    background: true,
    stream: true,
    metadata: scenarioMeta({ phases, stream: { deltas, everyMs: 100 }, ...scenario }),
  });
}

/** Reads a stream in the background: the events so far, and how it ended (an error, or undefined). */
function read(stream: Stream<ResponseStreamEvent>) {
  const events: ResponseStreamEvent[] = [];
  const ended = (async () => {
    try {
      for await (const event of stream) events.push(event);
      return undefined;
    } catch (error) {
      return error;
    }
  })();
  return { events, ended };
}

/** Moves the clock in small steps, letting the events written at each step reach the client. */
async function run(ms: number, step = 50) {
  for (let t = 0; t < ms; t += step) {
    await sim.clock.advance(step);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const types = (events: ResponseStreamEvent[]) => events.map((e) => e.type);
const text = (events: ResponseStreamEvent[]) =>
  events.map((e) => (e.type === 'response.output_text.delta' ? e.delta : '')).join('');

describe('streamed background responses', () => {
  it('streams the lifecycle and the text, with a strictly increasing sequence_number', async () => {
    ({ sim, client } = await manualSim());
    const r = read(await createStreamed());
    await run(1200);
    expect(await r.ended).toBeUndefined();
    expect(types(r.events)).toEqual([
      'response.created',
      'response.queued',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...deltas.map(() => 'response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(r.events.map((e) => e.sequence_number)).toEqual(r.events.map((_, i) => i));
    expect(text(r.events)).toBe(TEXT);
    const done = r.events.at(-1)!;
    expect(done.type === 'response.completed' && done.response.status).toBe('completed');
    expect(done.type === 'response.completed' && done.response.output[0]).toMatchObject({
      type: 'message',
      content: [{ type: 'output_text', text: TEXT }],
    });
    // Retrieving the finished response returns the same text.
    const id = r.events[0]!.type === 'response.created' ? r.events[0]!.response.id : '';
    expect((await client.responses.retrieve(id)).output_text).toBe(TEXT);
    expect(sim.stats().requests.byRoute['responses.create']?.total).toBe(1);
  });

  it('writes each delta at its scripted time', async () => {
    ({ sim, client } = await manualSim());
    const r = read(await createStreamed());
    await run(150);
    // Queued for 100 ms, then in_progress: the first delta is due at 200.
    expect(types(r.events).at(-1)).toBe('response.content_part.added');
    await run(100);
    expect(text(r.events)).toBe('Autumn ');
    await run(1000);
    expect(text(r.events)).toBe(TEXT);
  });

  it('resumes after starting_after with the events that follow, and replays all without it', async () => {
    ({ sim, client } = await manualSim());
    const first = read(await createStreamed());
    await run(1200);
    const id = first.events[0]!.type === 'response.created' ? first.events[0]!.response.id : '';
    const resumed = read(await client.responses.retrieve(id, { stream: true, starting_after: 6 }));
    await run(50);
    expect(await resumed.ended).toBeUndefined();
    expect(resumed.events.map((e) => e.sequence_number)).toEqual(
      first.events.slice(7).map((e) => e.sequence_number),
    );
    expect(resumed.events).toEqual(first.events.slice(7));
    const replay = read(await client.responses.retrieve(id, { stream: true }));
    await run(50);
    expect(await replay.ended).toBeUndefined();
    expect(replay.events).toEqual(first.events);
    expect(sim.stats().requests.byRoute['responses.stream']?.total).toBe(2);
    expect(sim.job(id)?.retrieves).toBe(0);
  });

  it('refuses to stream a response created without stream, with a 400', async () => {
    ({ sim, client } = await manualSim());
    const plain = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true });
    const refusal = await client.responses
      .retrieve(plain.id, { stream: true, starting_after: 0 })
      .catch((e) => e);
    expect(refusal).toBeInstanceOf(BadRequestError);
    expect(refusal).toMatchObject({ status: 400, param: 'stream' });
    expect(String(refusal.message)).toMatch(/only responses created with stream=true/);
  });

  it('ends a failed response with error then response.failed, after half its text', async () => {
    ({ sim, client } = await manualSim());
    const r = read(
      await createStreamed({ outcome: 'failed', error: { code: 'server_error', message: 'boom' } }),
    );
    await run(1200);
    const ended = await r.ended;
    const events = [...r.events];
    if (OPENAI_MAJOR >= 7) {
      // openai 7 throws the `error` event as an APIError carrying it; what follows is read by resuming after it.
      expect(ended).toBeInstanceOf(APIError);
      const event = (ended as APIError).error as ResponseStreamEvent;
      events.push(event);
      const id = (r.events[0] as { response: { id: string } }).response.id;
      const rest = read(
        await client.responses.retrieve(id, { stream: true, starting_after: event.sequence_number }),
      );
      await run(100);
      expect(await rest.ended).toBeUndefined();
      events.push(...rest.events);
    } else {
      expect(ended).toBeUndefined();
    }
    expect(types(events).slice(-2)).toEqual(['error', 'response.failed']);
    expect(events.at(-2)).toMatchObject({ type: 'error', code: 'server_error', message: 'boom' });
    expect(text(events)).toBe('Autumn moon, a ');
  });

  it('ends an incomplete response with its partial text', async () => {
    ({ sim, client } = await manualSim());
    const r = read(await createStreamed({ outcome: 'incomplete' }));
    await run(1200);
    const last = r.events.at(-1)!;
    expect(last.type).toBe('response.incomplete');
    // The event's Response is raw JSON, without the SDK's output_text: the text is in its output.
    const response = last.type === 'response.incomplete' ? last.response : undefined;
    expect(response).not.toHaveProperty('output_text');
    const [message] = response?.output ?? [];
    expect(message?.type === 'message' && message.content[0]).toMatchObject({ text: 'Autumn moon, a ' });
  });

  it('ends the stream of a cancelled response with no terminal event (the SDK has none)', async () => {
    ({ sim, client } = await manualSim());
    const r = read(await createStreamed());
    await run(300);
    const id = r.events[0]!.type === 'response.created' ? r.events[0]!.response.id : '';
    await client.responses.cancel(id);
    await run(100);
    expect(await r.ended).toBeUndefined();
    expect(types(r.events).at(-1)).toBe('response.output_text.delta');
    expect((await client.responses.retrieve(id)).status).toBe('cancelled');
  });

  it('drops a connection after N events, and the next connection goes on from starting_after', async () => {
    ({ sim, client } = await manualSim({ faults: { stream: { next: 1, dropAfter: 4 } } }));
    const r = read(await createStreamed());
    await run(400);
    expect(await r.ended).toBeInstanceOf(Error);
    expect(r.events.map((e) => e.sequence_number)).toEqual([0, 1, 2, 3]);
    const id = r.events[0]!.type === 'response.created' ? r.events[0]!.response.id : '';
    const rest = read(await client.responses.retrieve(id, { stream: true, starting_after: 3 }));
    await run(1000);
    expect(await rest.ended).toBeUndefined();
    expect(text([...r.events, ...rest.events])).toBe(TEXT);
    expect(rest.events[0]?.sequence_number).toBe(4);
  });

  it('stalls a connection for the given time, then goes on', async () => {
    ({ sim, client } = await manualSim({ faults: { stream: { next: 1, stallAfter: 5, stallMs: 3000 } } }));
    const r = read(await createStreamed());
    await run(1500);
    expect(r.events).toHaveLength(5);
    await run(2000);
    expect(await r.ended).toBeUndefined();
    expect(text(r.events)).toBe(TEXT);
  });

  it('checks the stream script', async () => {
    ({ sim, client } = await manualSim());
    const bad = await createStreamed({ stream: { deltas: 'no' } }).catch((e) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(String(bad.message)).toMatch(/stream\.deltas: expected an array of strings/);
  });
});
