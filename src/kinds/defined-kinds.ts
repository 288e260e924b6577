import type { AnyKindSpec } from './spec.js';

// The kinds users defined in this process, by name. A table rather than an option threaded through every layer:
// a kind is found by the name a ref carries (in a snapshot, a compose key, a queued job's JSON), and every one of
// those places already asks the registry. Kept in a leaf so the registry can read it without a circle.
const defined = new Map<string, AnyKindSpec>();

/** The spec of a kind defined with `defineKind` in this process, or undefined. */
export function definedKind(kind: string): AnyKindSpec | undefined {
  return defined.get(kind);
}

/** Every kind defined in this process, in the order they were defined. */
export function definedKinds(): readonly AnyKindSpec[] {
  return [...defined.values()];
}

/** Files a defined kind under its name (`defineKind` checks names before it calls this). */
export function fileDefinedKind(spec: AnyKindSpec): void {
  defined.set(spec.kind, spec);
}
