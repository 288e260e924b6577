import { kindSpec } from '../kinds/registry.js';
import type { JobRef } from '../model/types.js';
import type { PersistedWatch } from '../watch/watch-run.js';

/** Marks a machine snapshot stored in the slim form; a stored snapshot without it is XState's own (stored whole). */
export const SLIM_MACHINE = 'slim';

/**
 * The machine's persisted snapshot as a watch's data stores it: only what the watch's data does not already say.
 * Its context keeps the fields that differ from a fresh watch's; its children leave out the job every invoked actor
 * gets as input, and the `src` and `syncSnapshot` XState writes for each. {@link restoreMachine} puts them back.
 */
export interface SlimMachine {
  form: typeof SLIM_MACHINE;
  status: string;
  value: unknown;
  context: Record<string, unknown>;
  [key: string]: unknown;
}

/** A stored machine snapshot: slim, or XState's whole (written by a worker before the slim form). */
export type StoredMachine = SlimMachine | PersistedWatch;

type Record_ = Record<string, unknown>;
/** What a watch's data says of every step: the machine's input. */
type Watch = { job: JobRef; startedAt: number; maxWaitMs: number };

const isRecord = (v: unknown): v is Record_ => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * The context of a watch that saw nothing yet, as the run machine starts it (machines/run.machine.ts), built from
 * what the data holds: every field equal to it is left out of the slim form. `toolNames` defaults to none, so a
 * restore never depends on the handlers of the worker that restores.
 */
function freshContext(watch: Watch): Record_ {
  return {
    job: watch.job,
    kind: watch.job.kind,
    jobId: kindSpec(watch.job.kind).jobId(watch.job),
    state: 'queued',
    at: watch.startedAt,
    startedAt: watch.startedAt,
    deadlineAt: watch.startedAt + watch.maxWaitMs,
    expiresAt: null,
    checkedExpiry: null,
    expiryUnconfirmed: false,
    toolNames: [],
    pendingToolCalls: [],
    missingHandlers: [],
    answered: [],
    outputs: [],
  };
}

// On a child, in the slim form: its input's `job` was the watch's job, left out.
const JOB_INPUT = 'jobInput';

/** Whether `stored` is in the slim form. */
export const isSlimMachine = (stored: unknown): stored is SlimMachine =>
  isRecord(stored) && stored.form === SLIM_MACHINE;

/**
 * The slim form of `persisted` (the step's `actor.getPersistedSnapshot()`), for the watch of `watch`; a snapshot
 * whose shape it does not know is stored whole, which {@link restoreMachine} reads as well.
 */
export function slimMachine(persisted: PersistedWatch, watch: Watch): StoredMachine {
  const whole = persisted as unknown as Record_;
  if (!isRecord(whole.context) || 'form' in whole) return persisted;
  const fresh = freshContext(watch);
  const context: Record_ = {};
  for (const [key, value] of Object.entries(whole.context)) {
    if (key in fresh && same(value, fresh[key])) continue;
    // JSON would drop it and the restore would take the fresh value instead of undefined: keep the whole form.
    if (value === undefined) {
      if (key in fresh) return persisted;
      continue;
    }
    context[key] = value;
  }
  const slim: Record_ = { form: SLIM_MACHINE };
  for (const [key, value] of Object.entries(whole)) {
    if (key === 'context') slim.context = context;
    else if (key === 'historyValue' && isRecord(value) && Object.keys(value).length === 0) continue;
    else if (key === 'children') {
      const children = isRecord(value) ? slimChildren(value, watch) : undefined;
      if (!children) return persisted;
      slim.children = children;
    } else slim[key] = value;
  }
  return slim as SlimMachine;
}

/** The children without what restoreChildren puts back; undefined when one has a shape it does not know. */
function slimChildren(children: Record_, watch: Watch): Record_ | undefined {
  const slim: Record_ = {};
  for (const [id, child] of Object.entries(children)) {
    if (!isRecord(child) || !isRecord(child.snapshot)) return undefined;
    const { src, syncSnapshot, snapshot, ...rest } = child;
    if (typeof src !== 'string' || typeof syncSnapshot !== 'boolean' || JOB_INPUT in rest) return undefined;
    const out: Record_ = { ...rest };
    // Stored when they say something: the src an invoke of the run machine names is its id.
    if (src !== id) out.src = src;
    if (syncSnapshot) out.syncSnapshot = true;
    const input = snapshot.input;
    // The commonest child, the source at rest: its status is all it says.
    if (isBareSource(id, snapshot, rest, src, syncSnapshot, watch)) {
      slim[id] = snapshot.status;
      continue;
    }
    if (isRecord(input) && 'job' in input && same(input.job, watch.job)) {
      const { job: _job, ...others } = input;
      out.snapshot = { ...snapshot, input: others };
      out[JOB_INPUT] = true;
    } else {
      out.snapshot = snapshot;
    }
    slim[id] = out;
  }
  return slim;
}

/** A child stored as its status alone: invoked as its id, not synced, with the watch's job as all its input. */
function isBareSource(
  id: string,
  snapshot: Record_,
  rest: Record_,
  src: unknown,
  syncSnapshot: unknown,
  watch: Watch,
): boolean {
  // Keys JSON keeps: XState writes some set to undefined (a child's systemId, its snapshot's output and error).
  const kept = (r: Record_) => Object.keys(r).filter((key) => r[key] !== undefined);
  if (src !== id || syncSnapshot !== false || kept(rest).length > 0) return false;
  const keys = kept(snapshot);
  const input = snapshot.input;
  return (
    typeof snapshot.status === 'string' &&
    keys.length === 2 &&
    isRecord(input) &&
    Object.keys(input).length === 1 &&
    same(input.job, watch.job)
  );
}

/** XState's persisted snapshot from a stored one, slim or whole, for `createActor(machine, { snapshot })`. */
export function restoreMachine(stored: StoredMachine, watch: Watch): PersistedWatch {
  if (!isSlimMachine(stored)) return stored as PersistedWatch;
  const { form: _form, context, children, ...rest } = stored;
  const whole: Record_ = {
    ...rest,
    context: { ...freshContext(watch), ...context },
    historyValue: rest.historyValue ?? {},
    children: isRecord(children) ? restoreChildren(children, watch) : {},
  };
  return whole as unknown as PersistedWatch;
}

function restoreChildren(children: Record_, watch: Watch): Record_ {
  const whole: Record_ = {};
  for (const [id, child] of Object.entries(children)) {
    if (typeof child === 'string') {
      whole[id] = { snapshot: { status: child, input: { job: watch.job } }, src: id, syncSnapshot: false };
      continue;
    }
    if (!isRecord(child) || !isRecord(child.snapshot)) continue;
    const { [JOB_INPUT]: jobInput, snapshot, ...rest } = child;
    const input = jobInput === true ? { job: watch.job, ...(snapshot.input as Record_) } : snapshot.input;
    whole[id] = {
      ...rest,
      snapshot: { ...snapshot, ...(input !== undefined ? { input } : {}) },
      src: rest.src ?? id,
      syncSnapshot: rest.syncSnapshot ?? false,
    };
  }
  return whole;
}
