import type { KindCommandLine } from '../command-line.js';
import { type CompletionWindow, isCompletionWindow } from './completion-window.js';

/** `runstate watch --response ID`, with `--completion-window 2h|8h` for a discounted one. */
export const responseCommandLine: KindCommandLine<{
  kind: 'response';
  id: string;
  completionWindow?: CompletionWindow;
}> = {
  flags: [{ name: 'response', value: 'ID' }],
  help: ['a response created with background: true'],
  options: [
    {
      name: 'completion-window',
      value: 'W',
      help: [
        'with --response: the window it was created with (2h or 8h: a deadline, and polled',
        'like a batch)',
      ],
    },
  ],
  examples: [
    'runstate watch --response resp_68a1...',
    'runstate watch --response resp_68a1... --source hybrid --port 8080 --secret whsec_...',
    'runstate watch --response resp_68a1... --source stream',
  ],
  toRef(values) {
    const id = values.response ?? '';
    const window = values['completion-window'];
    if (window === undefined) return { kind: 'response', id };
    if (!isCompletionWindow(window)) {
      return `--completion-window must be soonest, 2h or 8h (got ${JSON.stringify(window)})`;
    }
    return { kind: 'response', id, completionWindow: window };
  },
};
