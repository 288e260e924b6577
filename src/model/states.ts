import type { JobState, JobTerminalState, RunState, TerminalState } from './observation.js';

/** Every state at zero: the start of a count by state in which every state is present. */
export const NO_STATES: Readonly<Record<RunState, number>> = {
  queued: 0,
  in_progress: 0,
  requires_action: 0,
  cancelling: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  expired: 0,
  incomplete: 0,
  timed_out: 0,
};

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
