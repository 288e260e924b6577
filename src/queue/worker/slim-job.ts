import { findKindSpec } from '../../kinds/registry.js';
import type { RunSnapshot } from '../../model/types.js';
import { storedSnapshot } from '../stored-snapshot.js';
import type { WatchData } from '../watch-data.js';

/** Marks a stored object as slim, so a restore knows to put the full one back. */
export const SLIM = 'runstate:slim';

/**
 * The fields of an API object a watch decides from (its kind's `slimFields`: status, ids, times, counts, the tool
 * calls it waits for). An idle watch stores only these: the full object is in its published snapshot, and comes
 * back into the machine when a step restores it. Anything that is not an object is kept as it is.
 */
export function slimJob(job: unknown, fields: readonly string[]): unknown {
  if (typeof job !== 'object' || job === null) return job;
  const full = job as Record<string, unknown>;
  const slim: Record<string, unknown> = { [SLIM]: true };
  for (const key of fields) if (full[key] !== undefined) slim[key] = full[key];
  return slim;
}

const isSlim = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && (v as Record<string, unknown>)[SLIM] === true;

type Context = { latest?: unknown };

const sameValue = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * The machine's latest object as stored: its slim fields, or the bare marker when the published snapshot's object
 * has the same id and the same slim fields, since {@link withFullJob} puts that one back then.
 */
function storedLatest(
  latest: Record<string, unknown>,
  fields: readonly string[],
  published: unknown,
): unknown {
  const full = published as Record<string, unknown> | undefined;
  const same =
    typeof full === 'object' &&
    full !== null &&
    full.id !== undefined &&
    full.id === latest.id &&
    fields.every((key) => sameValue(latest[key], full[key]));
  return same ? { [SLIM]: true } : slimJob(latest, fields);
}

/**
 * What the job stores between steps (a copy; `data` is kept): the published snapshot without what the data says
 * already, and the machine's latest object slim.
 */
export function storedForm(data: WatchData): WatchData {
  const stored: WatchData = data.snapshot ? { ...data, snapshot: storedSnapshot(data.snapshot) } : data;
  const context = (data.machine as unknown as { context?: Context } | undefined)?.context;
  const spec = findKindSpec(data.job.kind);
  if (
    !spec ||
    // A kind defined without slim fields is stored whole.
    spec.slimFields.length === 0 ||
    !context ||
    isSlim(context.latest) ||
    typeof context.latest !== 'object' ||
    context.latest === null
  ) {
    return stored;
  }
  const latest = storedLatest(context.latest as Record<string, unknown>, spec.slimFields, data.snapshot?.job);
  return {
    ...stored,
    machine: {
      ...data.machine!,
      context: { ...context, latest },
    } as unknown as WatchData['machine'],
  };
}

/**
 * Puts the full object back into a restored machine from the watch's last published snapshot (the same job),
 * so a step that ends without a read still delivers a full object, as an in-process watch does.
 */
export function withFullJob(data: WatchData, published: unknown): WatchData {
  const context = (data.machine as unknown as { context?: Context } | undefined)?.context;
  if (!context || !isSlim(context.latest)) return data;
  const full = (published as RunSnapshot | undefined)?.job as Record<string, unknown> | undefined;
  // A slim object without an id is the published one (storedLatest): no other object to check it against.
  const id = context.latest.id;
  if (typeof full !== 'object' || full === null || (id !== undefined && full.id !== id)) return data;
  return {
    ...data,
    machine: { ...data.machine!, context: { ...context, latest: full } } as unknown as WatchData['machine'],
  };
}
