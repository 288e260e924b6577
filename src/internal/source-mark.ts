/** A mark the library puts on sources it makes (see {@link sourceMark}). */
export interface SourceMark {
  /** Marks `source`, and returns it. */
  set<S extends object>(source: S): S;
  /** Whether `source` itself was marked (a copy of a marked source is not). */
  has(source: object): boolean;
}

/**
 * A mark kept as a non-enumerable own symbol property, so that a copy (`{ ...source }`, `Object.assign`) does not
 * carry it. Not a `WeakSet`: sources are often made once per watch, and an entry per source in a weak table cost
 * more than the rest of `poll()` (docs/benchmarks.md, the Overhead section: "What changed, and where the bytes of an
 * idle watch still go", item 7).
 */
export function sourceMark(description: string): SourceMark {
  const key = Symbol(description);
  const descriptor: PropertyDescriptor = Object.freeze({ value: true });
  return {
    set(source) {
      Object.defineProperty(source, key, descriptor);
      return source;
    },
    has: (source) => (source as { [key]?: unknown })[key] === true,
  };
}
