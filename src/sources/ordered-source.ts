import { sourceMark } from '../internal/source-mark.js';
import type { Source } from '../model/types.js';

const ORDERED = sourceMark('runstate.orderedSource');

/**
 * Marks one of the library's poll sources: each of its events is stamped when its read is answered, and it has one
 * read in flight at a time (a nudge drops the one in flight), so no event it sends is older than one before it. A
 * watch fed by such a source leaves a read that repeats the machine's latest observation out of the machine
 * (`src/watch/repeat.ts`); a source of your own, or a copy of one of these, is not marked, and every event of it
 * reaches the machine.
 */
export function orderedSource<S extends Source>(source: S): S {
  return ORDERED.set(source);
}

/** Whether `source` was marked by {@link orderedSource}. */
export function isOrderedSource(source: Source): boolean {
  return ORDERED.has(source);
}
