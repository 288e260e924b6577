import type { KindCommandLine } from '../command-line.js';

/** `runstate watch --batch ID`. */
export const batchCommandLine: KindCommandLine<{ kind: 'batch'; id: string }> = {
  flags: [{ name: 'batch', value: 'ID' }],
  help: ['a batch'],
  examples: ['runstate watch --batch batch_68a1... --max-wait 24h'],
  toRef: (values) => ({ kind: 'batch', id: values.batch ?? '' }),
};
