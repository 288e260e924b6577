import { agentSession } from './agent-session/spec.js';
import { assistantsRun } from './assistants-run/spec.js';
import { batch } from './batch/spec.js';
import { definedKind, definedKinds } from './defined-kinds.js';
import { evalRun } from './eval-run/spec.js';
import { fineTuningJob } from './fine-tuning-job/spec.js';
import { response } from './response/spec.js';
import type { AnyKindSpec, KindSpec, RefLike } from './spec.js';
import { vectorStoreFileBatch } from './vector-store-file-batch/spec.js';

/** Checks that each spec is filed under its own name. */
// biome-ignore lint/suspicious/noExplicitAny: only the names are checked here; each spec is typed by its module
const registry = <T extends { readonly [K in keyof T]: KindSpec<K & string, any, any, any> }>(specs: T): T =>
  specs;

/**
 * Every kind of job runstate watches, by name: the one list a new kind joins (one folder beside this file, one
 * line here). `JobKind`, `JobRef` and the job and snapshot types by kind derive from it, so the compiler then
 * points at every place that must know the new kind, and no other.
 */
export const KINDS = registry({
  'assistants.run': assistantsRun,
  response,
  batch,
  'fine_tuning.job': fineTuningJob,
  'eval.run': evalRun,
  'vector_store.file_batch': vectorStoreFileBatch,
  'agent.session': agentSession,
});

/** The specs by name, as the registry types them. */
export type Kinds = typeof KINDS;

/** The kinds of asynchronous OpenAI job runstate can watch. */
export type JobKind = keyof Kinds;

// biome-ignore lint/suspicious/noExplicitAny: inference reads one type argument
type RefOfSpec<S> = S extends KindSpec<any, infer Ref, any, any> ? Ref : never;
// biome-ignore lint/suspicious/noExplicitAny: inference reads one type argument
type JobOfSpec<S> = S extends KindSpec<any, any, infer Job, any> ? Job : never;
// biome-ignore lint/suspicious/noExplicitAny: inference reads one type argument
type ExtrasOfSpec<S> = S extends KindSpec<any, any, any, infer Extras> ? Extras : never;

/** Which job to watch: its kind and ids. */
export type JobRef = { [K in JobKind]: RefOfSpec<Kinds[K]> }[JobKind];

/** The API object each kind of job is, as the `openai` SDK types it: what `snapshot.job` holds. */
export type JobTypes = { [K in JobKind]: JobOfSpec<Kinds[K]> };

/** The fields each kind adds to its snapshots (a response's text, a batch's progress). */
export type ExtrasByKind = { [K in JobKind]: ExtrasOfSpec<Kinds[K]> };

/** Every kind's name, in the registry's order. */
export const JOB_KINDS: readonly JobKind[] = Object.keys(KINDS) as JobKind[];

/** The kinds as a message lists them: `'assistants.run', 'response' or 'batch'`. */
export const KIND_LIST: string = JOB_KINDS.map((k) => `'${k}'`)
  .join(', ')
  .replace(/, ([^,]*)$/, ' or $1');

/** True for the name of a kind in the registry (and not, say, `toString`). */
export function isJobKind(kind: unknown): kind is JobKind {
  return typeof kind === 'string' && Object.hasOwn(KINDS, kind);
}

/**
 * The spec of a kind, erased to the view code serving every kind holds: one of the registry's, or one a user
 * defined with `defineKind` (whose refs the types let through as `JobRef` at run time).
 * @throws TypeError for a name neither holds (a bug: callers validate refs first).
 */
export function kindSpec(kind: JobKind): AnyKindSpec {
  const spec = findKindSpec(kind);
  if (!spec) throw new TypeError(`no kind spec for ${JSON.stringify(kind)}`);
  return spec;
}

/**
 * The spec that watches this job: its kind's, or the one its ref chose (`forRef`: a response's completion window
 * gives it a deadline and a batch's schedule). What a watch reads its defaults and `expiresAt` from.
 */
export function specFor(ref: { readonly kind: JobKind }): AnyKindSpec {
  const spec = kindSpec(ref.kind);
  return spec.forRef ? (spec.forRef(ref as unknown as RefLike) as AnyKindSpec) : spec;
}

/**
 * The spec of a kind named by untrusted data: the registry's, else one defined with `defineKind` in this process;
 * undefined for a name neither holds.
 */
export function findKindSpec(kind: unknown): AnyKindSpec | undefined {
  if (isJobKind(kind)) return KINDS[kind] as AnyKindSpec;
  return typeof kind === 'string' ? definedKind(kind) : undefined;
}

/** Every kind this process can watch: the registry's, then those defined with `defineKind`. */
export function allKindSpecs(): readonly AnyKindSpec[] {
  return [...JOB_KINDS.map((kind) => KINDS[kind] as AnyKindSpec), ...definedKinds()];
}

/** The kinds a message lists when a ref names none it knows: the registry's and the defined ones. */
export function knownKindList(): string {
  return allKindSpecs()
    .map((spec) => `'${spec.kind}'`)
    .join(', ')
    .replace(/, ([^,]*)$/, ' or $1');
}

/** One value per kind, from its spec: a record the compiler knows is complete. */
export function byKind<T>(value: (spec: AnyKindSpec, kind: JobKind) => T): { [K in JobKind]: T } {
  return Object.fromEntries(JOB_KINDS.map((kind) => [kind, value(kindSpec(kind), kind)])) as {
    [K in JobKind]: T;
  };
}
