import { describe, expect, it } from 'vitest';
import { readLines } from '../../src/batches/lines.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/** A web stream of the given chunks, counting how many were pulled and whether it was cancelled. */
function streamOf(chunks: Uint8Array[]) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = chunks[state.pulled++];
        if (next === undefined) controller.close();
        else controller.enqueue(next);
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

async function all(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of readLines(body)) lines.push(line);
  return lines;
}

describe('readLines()', () => {
  it('splits lines across chunk boundaries, multi-byte characters included, CRLF and a last line without newline', async () => {
    const text = '{"a":"é"}\r\n{"b":"日本"}\n\n{"c":3}';
    const encoded = bytes(text);
    // Every cut position, so a split lands inside é, inside 日 and between \r and \n at some point.
    for (let cut = 1; cut < encoded.length; cut++) {
      const lines = await all(streamOf([encoded.slice(0, cut), encoded.slice(cut)]).stream);
      expect(lines).toEqual(['{"a":"é"}', '{"b":"日本"}', '', '{"c":3}']);
    }
    // One byte per chunk, and an async iterable instead of a web stream.
    async function* oneByOne() {
      for (const b of encoded) yield Uint8Array.of(b);
    }
    expect(await all(oneByOne())).toEqual(['{"a":"é"}', '{"b":"日本"}', '', '{"c":3}']);
  });

  it('reads the next chunk only when the consumer asks for more, and cancels the stream when it stops', async () => {
    const { stream, state } = streamOf([bytes('1\n2\n'), bytes('3\n'), bytes('4\n'), bytes('5\n')]);
    const lines = readLines(stream);
    expect((await lines.next()).value).toBe('1');
    expect((await lines.next()).value).toBe('2');
    expect(state.pulled).toBe(1);
    expect((await lines.next()).value).toBe('3');
    expect(state.pulled).toBe(2);
    await lines.return(undefined);
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBe(2);
  });
});
