import type OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { asyncScheduler, NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { response } from '../../src/kinds/response/spec.js';
import type { SourceContext, StatusEvent } from '../../src/model/types.js';
import { createRequestMeter } from '../../src/requests/request-meter.js';
import { stream } from '../../src/sources/stream.js';
import { seededRandom } from '../helpers/source-context.js';

// Pure logic of stream(): a fake client whose server ignores starting_after and replays every event from the
// start on each connection, dropping each connection a few events further than the last. The source must skip
// what it has already applied. (The simulator honours starting_after; this is the server that does not.)

const deltas = ['Autumn ', 'moon, ', 'a ', 'quiet ', 'pond'];

function events(): ResponseStreamEvent[] {
  const base = {
    id: 'resp_1',
    object: 'response',
    output: [],
    created_at: 0,
  } as unknown as ResponseStreamEvent & {
    response: never;
  };
  const r = (status: string) => ({ ...(base as object), status }) as never;
  const at = { item_id: 'msg_1', output_index: 0, content_index: 0 };
  const list = [
    { type: 'response.created', response: r('queued') },
    { type: 'response.in_progress', response: r('in_progress') },
    {
      type: 'response.output_item.added',
      output_index: 0,
      item: { id: 'msg_1', type: 'message', role: 'assistant', status: 'in_progress', content: [] },
    },
    { type: 'response.content_part.added', ...at, part: { type: 'output_text', text: '', annotations: [] } },
    ...deltas.map((delta) => ({ type: 'response.output_text.delta', ...at, delta, logprobs: [] })),
    { type: 'response.completed', response: r('completed') },
  ];
  return list.map((e, sequence_number) => ({ ...e, sequence_number }) as unknown as ResponseStreamEvent);
}

/** A client whose n-th connection replays everything and breaks after 3 + 2n events (the last one ends cleanly). */
function replayingClient() {
  const all = events();
  const queries: unknown[] = [];
  const client = {
    responses: {
      retrieve: async (_id: string, query: unknown) => {
        const n = queries.length;
        queries.push(query);
        const cut = 3 + 2 * n;
        return {
          async *[Symbol.asyncIterator]() {
            for (const [i, e] of all.entries()) {
              if (i === cut && cut < all.length) throw new TypeError('terminated');
              yield e;
            }
          },
        };
      },
    },
  } as unknown as OpenAI;
  return { client, queries };
}

describe('stream() against a server that replays', () => {
  it('applies every event once, in order, whatever the server sends again', async () => {
    const { client, queries } = replayingClient();
    const meter = createRequestMeter();
    const ctx: SourceContext = {
      client,
      job: { kind: 'response', id: 'resp_1' },
      adapter: response,
      meter,
      scheduler: asyncScheduler,
      random: seededRandom(1),
      deadline: Number.POSITIVE_INFINITY,
      nudge$: NEVER,
      signal: new AbortController().signal,
    };
    const seen: StatusEvent[] = [];
    await new Promise<void>((resolve, reject) =>
      stream({ textIntervalMs: 1 })
        .watch(ctx)
        .subscribe({ next: (e) => seen.push(e), error: reject, complete: resolve }),
    );
    const texts = seen.map((e) => (e.job as { output_text: string }).output_text);
    // Each text continues the one before: a delta applied twice would repeat a word.
    for (let i = 1; i < texts.length; i++) expect(texts[i]!.startsWith(texts[i - 1]!)).toBe(true);
    expect(texts.at(-1)).toBe(deltas.join(''));
    expect(seen.at(-1)).toMatchObject({ state: 'completed', source: 'stream' });
    // It asked to resume after the last event it had applied each time.
    expect(queries).toEqual([
      { stream: true },
      { stream: true, starting_after: 2 },
      { stream: true, starting_after: 4 },
      { stream: true, starting_after: 6 },
      { stream: true, starting_after: 8 },
    ]);
    expect(meter.count).toBe(5);
  });
});
