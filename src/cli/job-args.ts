import { isCompletionWindow } from '../kinds/response/completion-window.js';
import type { JobRef } from '../model/types.js';
import { UsageError } from './command.js';

/**
 * The CLI's argument table: the one place in the CLI that names kinds of job. Each flag (or pair of flags) names
 * a job of one kind; a new kind adds its flags here and to `JOB_ARG_OPTIONS`, and the commands follow.
 */
export const JOB_ARG_OPTIONS = {
  response: { type: 'string' },
  batch: { type: 'string' },
  thread: { type: 'string' },
  run: { type: 'string' },
  'fine-tune': { type: 'string' },
  'eval-run': { type: 'string' },
  'file-batch': { type: 'string' },
  'agent-session': { type: 'string' },
  'completion-window': { type: 'string' },
} as const;

/** The values `parseArgs` read for {@link JOB_ARG_OPTIONS}. */
export type JobArgValues = { [K in keyof typeof JOB_ARG_OPTIONS]?: string };

/** `A/B` as its two non-empty halves, or a UsageError that says what `flag` takes. */
function pair(value: string, flag: string, shape: string): [string, string] {
  const parts = value.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new UsageError(`${flag} takes ${shape} (got ${JSON.stringify(value)})`);
  }
  return [parts[0], parts[1]];
}

/**
 * The job the command line names: `--response ID` (with `--completion-window 2h|8h` for a discounted one),
 * `--batch ID`, `--thread ID --run ID`, `--fine-tune ID`, `--eval-run EVAL_ID/RUN_ID`, `--file-batch VS_ID/BATCH_ID`
 * or `--agent-session ID`.
 * @throws UsageError for no job, more than one, a run without both ids, a pair without its slash, or a window that
 *   is not one.
 */
export function jobRefFromArgs(values: JobArgValues): JobRef {
  const given = [
    values.response && '--response',
    values.batch && '--batch',
    values['agent-session'] && '--agent-session',
    (values.thread || values.run) && '--thread/--run',
    values['fine-tune'] && '--fine-tune',
    values['eval-run'] && '--eval-run',
    values['file-batch'] && '--file-batch',
  ].filter(Boolean);
  if (given.length === 0)
    throw new UsageError(
      'say which job: --response ID, --batch ID, --thread ID --run ID, --fine-tune ID, --eval-run EVAL_ID/RUN_ID, --file-batch VS_ID/BATCH_ID or --agent-session ID',
    );
  if (given.length > 1) throw new UsageError(`one job at a time: got ${given.join(' and ')}`);
  const window = values['completion-window'];
  if (window !== undefined && !values.response) {
    throw new UsageError(
      '--completion-window goes with --response: the window the response was created with',
    );
  }
  if (values.response) {
    if (window === undefined) return { kind: 'response', id: values.response };
    if (!isCompletionWindow(window)) {
      throw new UsageError(`--completion-window must be soonest, 2h or 8h (got ${JSON.stringify(window)})`);
    }
    return { kind: 'response', id: values.response, completionWindow: window };
  }
  if (values['agent-session']) return { kind: 'agent.session', sessionId: values['agent-session'] };
  if (values.batch) return { kind: 'batch', id: values.batch };
  // The progress line of a fine-tune is its training steps, read from its events: one more request per poll.
  if (values['fine-tune'])
    return { kind: 'fine_tuning.job', id: values['fine-tune'], progressFrom: 'events' };
  if (values['eval-run']) {
    const [evalId, runId] = pair(values['eval-run'], '--eval-run', 'EVAL_ID/RUN_ID');
    return { kind: 'eval.run', evalId, runId };
  }
  if (values['file-batch']) {
    const [vectorStoreId, batchId] = pair(values['file-batch'], '--file-batch', 'VS_ID/BATCH_ID');
    return { kind: 'vector_store.file_batch', vectorStoreId, batchId };
  }
  if (!values.thread || !values.run)
    throw new UsageError('an Assistants run needs both --thread ID and --run ID');
  return { kind: 'assistants.run', threadId: values.thread, runId: values.run };
}
