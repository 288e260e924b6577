import type { RunSnapshot } from '../model/types.js';
import { RunstateError } from './runstate-error.js';

/** `waitForRun` rejects with this when the job ended in anything but `completed` (failed, expired, timed_out...). */
export class RunNotCompletedError<Job = unknown> extends RunstateError {
  override readonly name = 'RunNotCompletedError';
  readonly snapshot: RunSnapshot<Job>;
  constructor(snapshot: RunSnapshot<Job>, detail?: string) {
    super(
      'run_not_completed',
      `${snapshot.kind} ${snapshot.id} ended ${snapshot.state}${snapshot.status && snapshot.status !== snapshot.state ? ` (status ${snapshot.status})` : ''}${detail ? `: ${detail}` : ''}`,
    );
    this.snapshot = snapshot;
  }
}
