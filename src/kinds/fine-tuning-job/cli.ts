import type { KindCommandLine } from '../command-line.js';

/** `runstate watch --fine-tune ID`. */
export const fineTuningJobCommandLine: KindCommandLine<{
  kind: 'fine_tuning.job';
  id: string;
  progressFrom: 'events';
}> = {
  flags: [{ name: 'fine-tune', value: 'ID' }],
  help: [
    'a fine-tuning job (a paused one is shown paused; the watch waits for its resume); its',
    'progress line is its training steps, read from its events: one more request per poll',
  ],
  examples: ['runstate watch --fine-tune ftjob-abc123 --source hybrid --port 8080 --max-wait 48h'],
  // The progress line of a fine-tune is its training steps, read from its events: one more request per poll.
  toRef: (values) => ({ kind: 'fine_tuning.job', id: values['fine-tune'] ?? '', progressFrom: 'events' }),
};
