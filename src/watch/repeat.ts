import { RESTING_STATES, type RunMachineContext } from '../../machines/run.machine.js';
import { sameJson } from '../internal/same-json.js';
import type { StatusEvent } from '../model/types.js';

/** What {@link repeatsLatest} reads of an actor's snapshot. */
export interface MachineAt {
  readonly status: string;
  readonly value: unknown;
  readonly context: RunMachineContext;
}

/**
 * Whether a poll's answer repeats what the machine holds: the watch rests, and the event has the same state,
 * status, source, note and expiry, and a job equal key for key to the latest one. The machine would then change only
 * `at` and the identity of `latest`, which a poll source makes no use of (its events are stamped as they are
 * answered, one read at a time, so none is older than one before it), and no snapshot would reach a subscriber
 * (the change key is the same). A watch fed by a poll leaves such an answer out of the machine, which saves the
 * macrostep and the context, machine snapshot and job it would keep alive for a period (promoted by the collector):
 * 8 % of the instructions of a retrieve, 3 to 15 % of its CPU time (docs/benchmarks.md, CPU per retrieve).
 * test/watch/repeat.test.ts checks the rule against the machine.
 */
export function repeatsLatest(machine: MachineAt, event: StatusEvent): boolean {
  if (machine.status !== 'active') return false;
  const c = machine.context;
  return (
    RESTING_STATES.has((machine.value as { watching?: unknown }).watching) &&
    event.state === c.state &&
    event.status === c.status &&
    event.source === c.source &&
    event.note === c.sourceNote &&
    event.expiresAt === c.expiresAt &&
    event.at >= c.at &&
    event.toolCalls.length === 0 &&
    sameJson(event.job, c.latest)
  );
}
