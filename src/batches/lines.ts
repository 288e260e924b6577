/**
 * The lines of a byte stream as they arrive: UTF-8 decoded across chunk boundaries, split on `\n` (a `\r` before
 * it is dropped), the last line yielded even without a final newline. Pull-based: the next chunk is read only
 * when the consumer asks for the next line, so a slow consumer slows the download instead of filling memory.
 * Only the current chunk and one unfinished line are held. Breaking out of the loop cancels the stream.
 * @example for await (const line of readLines(response.body!)) console.log(line);
 */
export async function* readLines(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  // Pieces of the line being read, joined once its end arrives (a line spanning many chunks costs O(length)).
  let partial: string[] = [];
  const chunks = 'getReader' in body ? chunksOf(body) : body;
  for await (const chunk of chunks) {
    let text = decoder.decode(chunk, { stream: true });
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      partial.push(text.slice(0, nl));
      text = text.slice(nl + 1);
      const line = partial.length === 1 ? (partial[0] as string) : partial.join('');
      partial = [];
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    if (text !== '') partial.push(text);
  }
  const rest = partial.join('') + decoder.decode();
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/** A web stream's chunks, released (and cancelled when the consumer stops early) in the end. */
async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    // Stopped early (a malformed line, an unsubscribe): stop the download too.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
