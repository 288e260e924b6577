import type { RefLike } from './spec.js';

/**
 * The ref as its own kind's, after checking its `kind`: a spec reads its ids only from its own refs.
 * @throws TypeError for a ref of another kind (a bug: callers choose the spec by the ref's kind).
 */
export function ownRef<Ref extends RefLike>(ref: RefLike, kind: Ref['kind'], label: string): Ref {
  if (ref.kind !== kind) throw new TypeError(`not ${label}: ${ref.kind}`);
  return ref as Ref;
}

/** `needs non-empty string ids` when one of `fields` of the ref is not a non-empty string; else undefined. */
export function idsProblem(ref: RefLike, fields: readonly string[]): string | undefined {
  return fields.some((field) => typeof ref[field] !== 'string' || ref[field] === '')
    ? 'needs non-empty string ids'
    : undefined;
}
