import type { Source } from '../model/types.js';

/**
 * The mark, a non-enumerable own property, so that a copy (`{ ...source }`, `Object.assign`) does not carry it. Not
 * a `WeakSet`: sources are often made once per watch, and an entry per source in a weak table cost more than the
 * rest of `poll()` (docs/benchmarks.md, the Overhead section: "What changed, and where the bytes of an idle watch
 * still go", item 7).
 */
const ORDERED = Symbol('runstate.orderedSource');
const MARK: PropertyDescriptor = Object.freeze({ value: true });

/**
 * Marks one of the library's poll sources: each of its events is stamped when its read is answered, and it has one
 * read in flight at a time (a nudge drops the one in flight), so no event it sends is older than one before it. A
 * watch fed by such a source leaves a read that repeats the machine's latest observation out of the machine
 * (`src/watch/repeat.ts`); a source of your own, or a copy of one of these, is not marked, and every event of it
 * reaches the machine.
 */
export function orderedSource<S extends Source>(source: S): S {
  Object.defineProperty(source, ORDERED, MARK);
  return source;
}

/** Whether `source` was marked by {@link orderedSource}. */
export function isOrderedSource(source: Source): boolean {
  return (source as { [ORDERED]?: true })[ORDERED] === true;
}
