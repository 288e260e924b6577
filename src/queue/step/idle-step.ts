import { type AnyActorScope, createActor } from 'xstate';
import { RESTING_STATES } from '../../../machines/run.machine.js';
import { isSlimMachine, restoreMachine, type StoredMachine, slimMachine } from '../stored-machine.js';
import type { WatchData } from '../watch-data.js';
import { stepInput, stepMachine } from './step-machine.js';

// Most steps of a durable watch find the job where the last one left it, or in another state where the machine
// rests (queued to in_progress): a tick that is not past the deadline or the expiry, then a read. Restoring an actor
// for that (its system, its source child, starting, persisting, stopping) cost about three times the machine's own
// transitions, and more in garbage; creating one for a watch's first step cost more still. Such a step applies its
// events with the machine's pure transition instead, from the stored snapshot or, on a first step, from the
// machine's initial one; anything else (a final state, an action to run, an actor to start) is left to the actor, so
// the machine stays the one place that decides.

type MachineSnapshot = ReturnType<typeof stepMachine.resolveState>;
/** The machine's context, as runStep reads it of a snapshot, pure or an actor's. */
export type MachineContext = MachineSnapshot['context'];
type MachineEvent = Parameters<typeof stepMachine.transition>[1];

// Counts what the transitions asked to run: an entry, an emit, a child to start or stop. None may, for the pure path
// to hold. A delay may: a step keeps time with ticks (its actor's clock sets no timer) and XState persists no
// scheduled event, so an `after` armed or cancelled by a change between resting states leaves nothing behind.
let effects = 0;
const TIMING = new Set(['xstate.raise', 'xstate.cancel']);
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
    actionExecutor: (action: { type: string }) => {
      if (!TIMING.has(action.type)) effects++;
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
 * in; undefined otherwise (the step then restores an actor). A watch with no stored machine yet (its first step)
 * starts from the machine's initial one, {@link initialMachine}.
 */
export function idleStart(data: WatchData, toolNames: readonly string[]): IdleStart | undefined {
  const stored = data.machine ?? initialMachine(data, toolNames);
  if (stored?.status !== 'active') return undefined;
  const value = (stored as { value?: unknown }).value;
  if (!isResting(value)) return undefined;
  const whole = restoreMachine(stored as StoredMachine, data) as unknown as Record<string, unknown>;
  const snapshot = stepMachine.resolveState({
    value: whole.value as MachineSnapshot['value'],
    context: whole.context as MachineSnapshot['context'],
  });
  return { snapshot, whole };
}

// The last initial machine made, in the slim form, and the tool names it was made with.
let initial: { toolNames: string; stored: StoredMachine | undefined } | undefined;

/**
 * The stored machine of a watch that saw nothing yet, as an actor created for it would persist it. Made once, by
 * the machine itself (an actor created, never started), from the first watch that asks; kept for every other watch
 * of the same tool names, since its slim form holds nothing of its watch but them (slimMachine leaves out every
 * field a fresh watch's data gives). Undefined when it would hold more: each first step then starts an actor.
 */
export function initialMachine(data: WatchData, toolNames: readonly string[]): StoredMachine | undefined {
  const key = toolNames.join('\n');
  if (initial?.toolNames === key) return initial.stored;
  const actor = createActor(stepMachine, { input: stepInput(data, toolNames) });
  const stored = slimMachine(actor.getPersistedSnapshot(), data);
  initial = { toolNames: key, stored: holdsNoWatch(stored) ? stored : undefined };
  return initial.stored;
}

/** Whether a slim stored machine says nothing of its watch: a context of tool names at most, bare children. */
function holdsNoWatch(stored: StoredMachine): boolean {
  if (!isSlimMachine(stored)) return false;
  const children = (stored.children ?? {}) as Record<string, unknown>;
  return (
    Object.keys(stored.context).every((key) => key === 'toolNames') &&
    Object.values(children).every((child) => typeof child === 'string')
  );
}

/**
 * `snapshot` after `event`, when the event leaves the watch resting (in the same state or another resting one, say
 * queued to in_progress) with no action to run; undefined when it does more (the step then applies it to an actor).
 */
export function idleTransition(snapshot: MachineSnapshot, event: MachineEvent): MachineSnapshot | undefined {
  effects = 0;
  const next = stepMachine.transition(snapshot, event, pureScope());
  if (effects > 0 || next.status !== 'active' || !isResting(next.value)) return undefined;
  return next;
}

/**
 * The stored machine after pure transitions: the stored one with the new value and context (its children as they
 * were: a change between resting states starts and stops none).
 */
export function idleStored(
  data: WatchData,
  whole: Record<string, unknown>,
  snapshot: MachineSnapshot,
): StoredMachine {
  return slimMachine(
    { ...whole, value: snapshot.value, context: snapshot.context } as unknown as Parameters<
      typeof slimMachine
    >[0],
    data,
  );
}

/** A value of a resting state of `watching`: no substate, nothing to run (RESTING_STATES). */
function isResting(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const watching = (value as { watching?: unknown }).watching;
  return typeof watching === 'string' && RESTING_STATES.has(watching) && Object.keys(value).length === 1;
}
