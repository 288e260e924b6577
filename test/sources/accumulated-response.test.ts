import type {
  Response,
  ResponseOutputMessage,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { createIds } from '../../src/sim/ids.js';
import { ResponseJob } from '../../src/sim/jobs/response/response-job.js';
import { responseEvents } from '../../src/sim/jobs/response/stream.js';
import { createRandom } from '../../src/sim/scenario/random.js';
import { Accumulated, outputText } from '../../src/sources/accumulated-response.js';

const response = (status: Response['status'], output: Response['output'] = []) =>
  ({ id: 'resp_1', object: 'response', status, output, output_text: '' }) as unknown as Response;

const message = (text = ''): ResponseOutputMessage => ({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  status: 'in_progress',
  content: text ? [{ type: 'output_text', text, annotations: [] }] : [],
});

let sequence = 0;
/** Events as the SDK types them; the fold never reads `sequence_number`. */
const events = {
  lifecycle: (type: 'response.created' | 'response.in_progress' | 'response.completed', r: Response) =>
    ({ type, response: r, sequence_number: sequence++ }) as ResponseStreamEvent,
  itemAdded: (item: ResponseOutputMessage, output_index = 0): ResponseStreamEvent => ({
    type: 'response.output_item.added',
    item,
    output_index,
    sequence_number: sequence++,
  }),
  partAdded: (output_index = 0, content_index = 0): ResponseStreamEvent => ({
    type: 'response.content_part.added',
    item_id: 'msg_1',
    output_index,
    content_index,
    part: { type: 'output_text', text: '', annotations: [] },
    sequence_number: sequence++,
  }),
  delta: (delta: string, output_index = 0, content_index = 0): ResponseStreamEvent => ({
    type: 'response.output_text.delta',
    item_id: 'msg_1',
    output_index,
    content_index,
    delta,
    logprobs: [],
    sequence_number: sequence++,
  }),
};

/** Folds `list` into a fresh accumulator. */
function fold(list: readonly ResponseStreamEvent[]): Accumulated {
  const acc = new Accumulated();
  for (const event of list) acc.apply(event);
  return acc;
}

describe('Accumulated', () => {
  it('knows no response before the first lifecycle event', () => {
    const acc = fold([events.itemAdded(message()), events.partAdded(), events.delta('Hi')]);
    expect(acc.job()).toBeUndefined();
    expect(acc.text).toBe('Hi');
  });

  it('builds the text from the deltas, and the job as the last lifecycle object with the output so far', () => {
    const acc = fold([
      events.lifecycle('response.created', response('queued')),
      events.lifecycle('response.in_progress', response('in_progress')),
      events.itemAdded(message()),
      events.partAdded(),
      events.delta('Autumn '),
      events.delta('moonlight'),
    ]);
    expect(acc.text).toBe('Autumn moonlight');
    const job = acc.job()!;
    expect(job.status).toBe('in_progress');
    expect(job.output_text).toBe('Autumn moonlight');
    expect((job.output[0] as ResponseOutputMessage).content).toEqual([
      { type: 'output_text', text: 'Autumn moonlight', annotations: [] },
    ]);
  });

  it('lets a terminal response keep its own output, and uses the built one when it has none', () => {
    const start = [events.itemAdded(message()), events.partAdded(), events.delta('partial')];
    const own = fold([
      ...start,
      events.lifecycle('response.completed', response('completed', [message('final')])),
    ]);
    expect(own.job()!.output_text).toBe('final');
    const built = fold([...start, events.lifecycle('response.completed', response('completed'))]);
    expect(built.job()!.output_text).toBe('partial');
  });

  it('ignores deltas for parts it has not seen, and reasoning parts', () => {
    const acc = fold([
      events.lifecycle('response.in_progress', response('in_progress')),
      events.delta('lost'),
      events.itemAdded(message()),
      {
        type: 'response.content_part.added',
        item_id: 'msg_1',
        output_index: 0,
        content_index: 0,
        part: { type: 'reasoning_text', text: 'thinking' },
        sequence_number: sequence++,
      },
      events.delta('lost too'),
    ]);
    expect(acc.text).toBe('');
  });

  it('copies what it keeps: the events stay as they came', () => {
    const item = message();
    const delta = events.delta('x');
    fold([events.itemAdded(item), events.partAdded(), delta, delta]);
    expect(item.content).toEqual([]);
    const acc = fold([events.lifecycle('response.in_progress', response('in_progress'))]);
    const first = acc.job()!;
    first.output.push(message('mutated'));
    expect(acc.job()!.output).toEqual([]);
  });

  it('rebuilds a reply from the simulator’s stream of it, event by event', () => {
    const ids = createIds(createRandom(3));
    const reply = 'A worm digs silently into the chestnut.';
    const job = new ResponseJob(ids.make('resp_'), {
      background: true,
      stream: true,
      model: 'm',
      instructions: null,
      metadata: null,
      scenario: { phases: { queued: 100, in_progress: 5000 }, reply, stream: { everyMs: 500 } },
      random: createRandom(1),
      ids,
      now: 0,
    });
    const acc = new Accumulated();
    const seen: string[] = [];
    for (const { data } of responseEvents(job)) {
      acc.apply(data as ResponseStreamEvent);
      seen.push(acc.text);
    }
    expect(seen.at(-1)).toBe(reply);
    // The text only grows, one word at a time.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.startsWith(seen[i - 1]!)).toBe(true);
    expect(acc.job()!.status).toBe('completed');
    expect(acc.job()!.output_text).toBe(reply);
  });
});

describe('outputText', () => {
  it('joins every output_text part of every message, skipping other items', () => {
    const items = [
      message('one '),
      { id: 'fc_1', type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
      {
        ...message(),
        content: [
          { type: 'refusal', refusal: 'no' },
          { type: 'output_text', text: 'two', annotations: [] },
        ],
      },
    ] as Response['output'];
    expect(outputText(items)).toBe('one two');
  });
});
