import type { JobState, JobTerminalState, RunState, TerminalState } from './types.js';

/** The statuses after which a job never changes, as runstate's states, in a stable order. */
export const JOB_TERMINAL_STATES: readonly JobTerminalState[] = [
  'completed',
  'failed',
  'cancelled',
  'expired',
  'incomplete',
];

const JOB_TERMINAL: ReadonlySet<string> = new Set(JOB_TERMINAL_STATES);

/** True for a state the API reports as final: a source stops after emitting one. */
export function isJobTerminal(state: JobState | undefined): state is JobTerminalState {
  return state !== undefined && JOB_TERMINAL.has(state);
}

/** True for every final state of a watch, the watcher-local `timed_out` included. */
export function isTerminal(state: RunState | undefined): state is TerminalState {
  return state === 'timed_out' || isJobTerminal(state);
}
