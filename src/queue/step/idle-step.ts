import { type AnyActorScope, createActor } from 'xstate';
import { RESTING_STATES } from '../../../machines/run.machine.js';
import { restoreMachine, type StoredMachine, slimMachine } from '../stored-machine.js';
import type { WatchData } from '../watch-data.js';
import { stepMachine } from './step-machine.js';

// Most steps of a durable watch find the job where the last one left it: a tick that is not past the deadline or
// the expiry, then a read of the same status. Restoring an actor for that (its system, its source child, starting,
// persisting, stopping) cost about three times the machine's own transitions, and more in garbage. Such a step
// applies its events with the machine's pure transition instead; anything else (a new state, an action to run,
// an actor to start) is left to the actor, from the stored snapshot, so the machine stays the one place that decides.

type MachineSnapshot = ReturnType<typeof stepMachine.resolveState>;
/** The machine's context, as runStep reads it of a snapshot, pure or an actor's. */
export type MachineContext = MachineSnapshot['context'];
type MachineEvent = Parameters<typeof stepMachine.transition>[1];

// Counts what the transitions asked to run: an entry, a delay, an emit. None may, for the pure path to hold.
let effects = 0;
let scope: AnyActorScope | undefined;

/** One scope for every pure transition: never started, its system only receives inspection events (none). */
function pureScope(): AnyActorScope {
  if (scope) return scope;
  // Its input is never read for a watch: each transition takes the context from the snapshot it is given.
  const job = { kind: 'runstate.pure_scope', id: 'none' } as unknown as WatchData['job'];
  const self = createActor(stepMachine, {
    input: { job, kind: job.kind, jobId: 'none', startedAt: 0, maxWaitMs: 1, toolNames: [] },
  });
  scope = {
    self,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {
      effects++;
    },
    emit: () => {
      effects++;
    },
    stopChild: () => {
      effects++;
    },
    system: self.system,
    actionExecutor: () => {
      effects++;
    },
  } as unknown as AnyActorScope;
  return scope;
}

/** Where an idle step starts: the stored machine whole, and as a snapshot. */
export interface IdleStart {
  snapshot: MachineSnapshot;
  whole: Record<string, unknown>;
}

/**
 * The stored machine as a snapshot for pure transitions, when the watch rests in a state an idle step can stay
 * in; undefined otherwise (the step then restores an actor).
 */
export function idleStart(data: WatchData): IdleStart | undefined {
  const stored = data.machine;
  if (stored?.status !== 'active') return undefined;
  const value = (stored as { value?: unknown }).value as { watching?: unknown } | undefined;
  if (typeof value !== 'object' || value === null || Object.keys(value).length !== 1) return undefined;
  if (typeof value.watching !== 'string' || !RESTING_STATES.has(value.watching)) return undefined;
  const whole = restoreMachine(stored as StoredMachine, data) as unknown as Record<string, unknown>;
  const snapshot = stepMachine.resolveState({
    value: whole.value as MachineSnapshot['value'],
    context: whole.context as MachineSnapshot['context'],
  });
  return { snapshot, whole };
}

/**
 * `snapshot` after `event`, when the event leaves the watch in the same state with no action to run; undefined
 * when it does more (the step then applies it to an actor).
 */
export function idleTransition(snapshot: MachineSnapshot, event: MachineEvent): MachineSnapshot | undefined {
  effects = 0;
  const next = stepMachine.transition(snapshot, event, pureScope());
  if (effects > 0 || next.status !== 'active' || !sameValue(next.value, snapshot.value)) return undefined;
  return next;
}

/** The stored machine after pure transitions: the stored one with the new context (value and children as they were). */
export function idleStored(
  data: WatchData,
  whole: Record<string, unknown>,
  snapshot: MachineSnapshot,
): StoredMachine {
  return slimMachine(
    { ...whole, context: snapshot.context } as unknown as Parameters<typeof slimMachine>[0],
    data,
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return (
    typeof a === 'object' && typeof b === 'object' && x.watching === y.watching && Object.keys(x).length === 1
  );
}
