import { Writable } from 'node:stream';
import type { Output } from '../../src/cli/command.js';

/** A stream that records what is written to it, as a terminal (`isTTY`) of the given size or as a pipe. */
export function terminal(columns: number, rows: number, isTTY = true) {
  let written = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      written += String(chunk);
      done();
    },
  }) as Output;
  Object.assign(stream, isTTY ? { isTTY: true, columns, rows } : {});
  return { stream, output: () => written };
}
