import type { RunMachineInput } from '../../machines/run.machine.js';

/** A run with one tool handler, started at 1,000 with a minute to wait: the input of the machine's own tests. */
export const runMachineInput: RunMachineInput = {
  job: { kind: 'assistants.run', threadId: 'thread_1', runId: 'run_1' },
  kind: 'assistants.run',
  jobId: 'run_1',
  startedAt: 1_000,
  maxWaitMs: 60_000,
  toolNames: ['get_weather'],
};
