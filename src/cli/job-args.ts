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
  'agent-session': { type: 'string' },
  'completion-window': { type: 'string' },
} as const;

/** The values `parseArgs` read for {@link JOB_ARG_OPTIONS}. */
export type JobArgValues = { [K in keyof typeof JOB_ARG_OPTIONS]?: string };

/**
 * The job the command line names: `--response ID` (with `--completion-window 2h|8h` for a discounted one),
 * `--batch ID`, `--agent-session ID` or `--thread ID --run ID`.
 * @throws UsageError for no job, more than one, a run without both ids, or a window that is not one.
 */
export function jobRefFromArgs(values: JobArgValues): JobRef {
  const given = [
    values.response && '--response',
    values.batch && '--batch',
    values['agent-session'] && '--agent-session',
    (values.thread || values.run) && '--thread/--run',
  ].filter(Boolean);
  if (given.length === 0)
    throw new UsageError(
      'say which job: --response ID, --batch ID, --agent-session ID, or --thread ID --run ID',
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
  if (!values.thread || !values.run)
    throw new UsageError('an Assistants run needs both --thread ID and --run ID');
  return { kind: 'assistants.run', threadId: values.thread, runId: values.run };
}
