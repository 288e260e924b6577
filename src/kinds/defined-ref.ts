// A leaf: the types of refs to kinds users define, read by the model's types (which derive the snapshot types) and
// by `defineKind`, without a circle between them.

/** Carries a defined kind's job type on its refs, for the compiler only: no ref holds it at run time. */
export declare const jobType: unique symbol;

/**
 * A ref to a job of a kind defined with `defineKind`: its name and its ids, as `kind.ref({...})` makes it. It
 * types the snapshots `watchRun` emits for it (`snapshot.job` is the kind's `Job`).
 */
export type DefinedRef<Kind extends string = string, Ids extends string = string, Job = unknown> = {
  readonly kind: Kind;
} & { readonly [K in Ids]: string } & { readonly [jobType]: Job };

/** Any ref of a defined kind, as a type parameter's bound. */
export type AnyDefinedRef = { readonly kind: string; readonly [jobType]: unknown };
