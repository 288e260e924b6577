import type { AnyDefinedRef, JobKind, JobRef, JobTypes, RunSnapshot, SnapshotOf } from '../model/types.js';

/** A snapshot of one job in a composed stream, tagged with the job it belongs to. */
export interface RunSnapshotUpdate<Job = unknown> {
  readonly type: 'snapshot';
  /** The job's id (run id, response id, batch id): `jobKey(job)`, equal to `snapshot.id`. */
  readonly key: string;
  /** The job as it was handed to `watchRuns`. */
  readonly job: JobRef;
  readonly snapshot: RunSnapshot<Job>;
  /**
   * How many distinct jobs `watchRuns` knew when it emitted this update: all of a list from the first update on
   * (waiting ones included, under `concurrency`), and for an Observable, those that had arrived. `progress()`
   * counts its `total` from it.
   */
  readonly known?: number;
}

/**
 * The watch of one job failed (the error `watchRun` would have thrown: not found, authentication, retries
 * exhausted, bad configuration, a failing tool handler). Only that watch ended; the others go on.
 */
export interface RunErrorUpdate<Job = unknown> {
  readonly type: 'error';
  readonly key: string;
  readonly job: JobRef;
  /** Usually a `RunstateError` (check with `isRunstateError` and read its `code`). */
  readonly error: unknown;
  /** The last snapshot the watch emitted before it failed, if any. */
  readonly snapshot: RunSnapshot<Job> | undefined;
  /** As on a snapshot update: how many distinct jobs `watchRuns` knew at this point. */
  readonly known?: number;
}

/**
 * What `watchRuns` emits, and what `allSettled`, `firstCompleted` and `progress` read: each snapshot of each
 * job, or the error that ended one job's watch. Narrow on `type`.
 *
 * @example
 * watchRuns(jobs, { client }).subscribe((u) => {
 *   if (u.type === 'error') console.error(u.key, u.error);
 *   else console.log(u.key, u.snapshot.state);
 * });
 */
export type RunUpdate<Job = unknown> = RunSnapshotUpdate<Job> | RunErrorUpdate<Job>;

/**
 * What `watchRuns` emits for a job ref: `RunUpdate<Response>` for `{ kind: 'response' }`, {@link DefinedUpdate} for
 * a ref of a kind defined with `defineKind`, and for a mixed list a union whose snapshots `kind` tells apart.
 */
export type UpdateOf<Ref extends JobRef | AnyDefinedRef> = Ref extends { kind: infer K extends JobKind }
  ? RunUpdate<JobTypes[K]>
  : Ref extends AnyDefinedRef
    ? DefinedUpdate<Ref>
    : never;

/**
 * What `watchRuns` emits for a ref of a kind defined with `defineKind` (`kind.ref({ id })`): the same updates,
 * with the ref as it was given and the snapshots `watchRun` emits for it (`snapshot.kind` is the kind's name,
 * `snapshot.job` its own job type).
 */
export type DefinedUpdate<Ref extends AnyDefinedRef> =
  | (Omit<RunSnapshotUpdate, 'job' | 'snapshot'> & { readonly job: Ref; readonly snapshot: SnapshotOf<Ref> })
  | (Omit<RunErrorUpdate, 'job' | 'snapshot'> & {
      readonly job: Ref;
      readonly snapshot: SnapshotOf<Ref> | undefined;
    });

/** Any update `watchRuns` emits, of a shipped kind or a defined one: what the compose operators accept. */
// biome-ignore lint/suspicious/noExplicitAny: any job type; each operator keeps the caller's own update type
export type AnyRunUpdate = RunUpdate<any> | DefinedUpdate<AnyDefinedRef>;
