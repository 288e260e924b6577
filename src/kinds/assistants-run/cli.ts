import type { KindCommandLine } from '../command-line.js';

/** `runstate watch --thread ID --run ID`: two flags name one run. */
export const assistantsRunCommandLine: KindCommandLine<{
  kind: 'assistants.run';
  threadId: string;
  runId: string;
}> = {
  flags: [
    { name: 'thread', value: 'ID' },
    { name: 'run', value: 'ID' },
  ],
  help: [
    'an Assistants run (compatible servers and the simulator: OpenAI shut the',
    'Assistants API down on 2026-08-26)',
  ],
  examples: [
    'OPENAI_API_KEY=sim runstate watch --base-url http://127.0.0.1:4010/v1 --thread thread_abc --run run_abc',
  ],
  // OpenAI shut the Assistants API down: its flags come after the kinds people can watch on the live API.
  listedLast: true,
  toRef(values) {
    if (!values.thread || !values.run) return 'an Assistants run needs both --thread ID and --run ID';
    return { kind: 'assistants.run', threadId: values.thread, runId: values.run };
  },
};
