// Type tests: `npm run typecheck` (tsc, which covers test/) fails when the inference below regresses. Nothing here
// runs: every check sits in a function that is only type-checked.
import type OpenAI from 'openai';
import type { Batch } from 'openai/resources/batches';
import type { Run } from 'openai/resources/beta/threads/runs/runs';
import type { RunRetrieveResponse } from 'openai/resources/evals/runs/runs';
import type { FineTuningJob } from 'openai/resources/fine-tuning/jobs/jobs';
import type { Response } from 'openai/resources/responses/responses';
import type { VectorStoreFileBatch } from 'openai/resources/vector-stores/file-batches';
import { lastValueFrom, type Observable } from 'rxjs';
import { expectTypeOf } from 'vitest';
import type { RunSnapshotUpdate } from '../../src/compose/run-update.js';
import {
  allSettled,
  firstCompleted,
  type JobRef,
  progress,
  type RunNotCompletedError,
  type RunProgress,
  type RunSnapshot,
  type RunUpdate,
  waitForRun,
  watchRun,
  watchRuns,
} from '../../src/index.js';
import type { AgentSession } from '../../src/kinds/agent-session/types.js';
import type { JobOf } from '../../src/machine/index.js';

declare const client: OpenAI;

export function oneJobTypedByKind() {
  expectTypeOf(watchRun({ client, job: { kind: 'response', id: 'resp_1' } })).toEqualTypeOf<
    Observable<RunSnapshot<Response>>
  >();
  expectTypeOf(watchRun({ client, job: { kind: 'batch', id: 'batch_1' } })).toEqualTypeOf<
    Observable<RunSnapshot<Batch>>
  >();
  expectTypeOf(
    watchRun({ client, job: { kind: 'assistants.run', threadId: 'thread_1', runId: 'run_1' } }),
  ).toEqualTypeOf<Observable<RunSnapshot<Run>>>();

  watchRun({ client, job: { kind: 'response', id: 'resp_1' } }).subscribe((s) => {
    expectTypeOf(s.kind).toEqualTypeOf<'response'>();
    expectTypeOf(s.job).toEqualTypeOf<Response | undefined>();
    expectTypeOf(s.job?.output_text).toEqualTypeOf<string | undefined>();
    // @ts-expect-error a response has no request_counts: that is a batch's
    s.job?.request_counts;
  });
  watchRun({ client, job: { kind: 'batch', id: 'batch_1' } }).subscribe((s) => {
    expectTypeOf(s.job?.request_counts).toEqualTypeOf<Batch['request_counts'] | undefined>();
  });
}

export function theNewKindsAreTypedByKind() {
  watchRun({ client, job: { kind: 'fine_tuning.job', id: 'ftjob-1' } }).subscribe((s) => {
    expectTypeOf(s.kind).toEqualTypeOf<'fine_tuning.job'>();
    expectTypeOf(s.job?.fine_tuned_model).toEqualTypeOf<string | null | undefined>();
    expectTypeOf(s.paused).toEqualTypeOf<boolean | undefined>();
  });
  // A fine-tune's progress (asked for on the ref) is its training steps, with the loss its last metrics event had.
  watchRun({ client, job: { kind: 'fine_tuning.job', id: 'ftjob-1', progressFrom: 'events' } }).subscribe(
    (s) => {
      expectTypeOf(s.progress?.done).toEqualTypeOf<number | undefined>();
      const p = s.progress;
      if (p && 'trainLoss' in p) expectTypeOf(p.trainLoss).toEqualTypeOf<number | null>();
    },
  );
  // @ts-expect-error progress comes from events or not at all
  watchRun({ client, job: { kind: 'fine_tuning.job', id: 'ftjob-1', progressFrom: 'checkpoints' } });
  watchRun({ client, job: { kind: 'eval.run', evalId: 'eval_1', runId: 'evalrun_1' } }).subscribe((s) => {
    expectTypeOf(s.kind).toEqualTypeOf<'eval.run'>();
    expectTypeOf(s.job?.result_counts).toEqualTypeOf<RunRetrieveResponse.ResultCounts | undefined>();
    // @ts-expect-error an eval run has no file_counts: that is a file batch's
    s.job?.file_counts;
  });
  watchRun({
    client,
    job: { kind: 'vector_store.file_batch', vectorStoreId: 'vs_1', batchId: 'vsfb_1' },
  }).subscribe((s) => {
    expectTypeOf(s.kind).toEqualTypeOf<'vector_store.file_batch'>();
    expectTypeOf(s.job?.file_counts).toEqualTypeOf<VectorStoreFileBatch.FileCounts | undefined>();
  });
  // Each progress has `done` and `total`, whatever the kind.
  expectTypeOf<NonNullable<RunSnapshot['progress']>['done']>().toEqualTypeOf<number>();
  expectTypeOf<NonNullable<RunSnapshot['progress']>['total']>().toEqualTypeOf<number>();
  // @ts-expect-error an eval run names its job by evalId and runId
  watchRun({ client, job: { kind: 'eval.run', id: 'evalrun_1' } });
  // @ts-expect-error a file batch needs its vector store's id
  watchRun({ client, job: { kind: 'vector_store.file_batch', batchId: 'vsfb_1' } });
  expectTypeOf(waitForRun({ client, job: { kind: 'fine_tuning.job', id: 'ftjob-1' } })).toEqualTypeOf<
    Promise<FineTuningJob>
  >();
}

export async function promiseFormTypedByKind() {
  expectTypeOf(waitForRun({ client, job: { kind: 'response', id: 'resp_1' } })).toEqualTypeOf<
    Promise<Response>
  >();
  expectTypeOf(waitForRun({ client, job: { kind: 'batch', id: 'batch_1' } })).toEqualTypeOf<Promise<Batch>>();
  expectTypeOf(
    waitForRun({ client, job: { kind: 'assistants.run', threadId: 'thread_1', runId: 'run_1' } }),
  ).toEqualTypeOf<Promise<Run>>();
  // The README's webhook example: `done.status` is a batch's status, not `unknown`.
  const done = await waitForRun({ client, job: { kind: 'batch', id: 'batch_1' } });
  expectTypeOf(done.status).toEqualTypeOf<Batch['status']>();
  expectTypeOf<JobOf<{ kind: 'response'; id: string }>>().toEqualTypeOf<Response>();
}

export function aRefOfAnyKindGivesAUnionThatKindNarrows(job: JobRef) {
  expectTypeOf(waitForRun({ client, job })).toEqualTypeOf<
    Promise<
      Run | Response | Batch | FineTuningJob | RunRetrieveResponse | VectorStoreFileBatch | AgentSession
    >
  >();
  watchRun({ client, job }).subscribe((s) => {
    expectTypeOf(s).toEqualTypeOf<
      | RunSnapshot<Run>
      | RunSnapshot<Response>
      | RunSnapshot<Batch>
      | RunSnapshot<FineTuningJob>
      | RunSnapshot<RunRetrieveResponse>
      | RunSnapshot<VectorStoreFileBatch>
      | RunSnapshot<AgentSession>
    >();
    if (s.kind === 'response') expectTypeOf(s.job).toEqualTypeOf<Response | undefined>();
    else if (s.kind === 'batch') expectTypeOf(s.job).toEqualTypeOf<Batch | undefined>();
    else if (s.kind === 'fine_tuning.job') expectTypeOf(s.job).toEqualTypeOf<FineTuningJob | undefined>();
    else if (s.kind === 'eval.run') expectTypeOf(s.job).toEqualTypeOf<RunRetrieveResponse | undefined>();
    else if (s.kind === 'vector_store.file_batch')
      expectTypeOf(s.job).toEqualTypeOf<VectorStoreFileBatch | undefined>();
    else if (s.kind === 'agent.session') expectTypeOf(s.job).toEqualTypeOf<AgentSession | undefined>();
    else expectTypeOf(s.job).toEqualTypeOf<Run | undefined>();
  });
  // A typed snapshot still goes where an untyped one is expected.
  expectTypeOf<RunSnapshot<Response>>().toExtend<RunSnapshot>();
  expectTypeOf<RunNotCompletedError['snapshot']>().toEqualTypeOf<RunSnapshot>();
}

export async function composeOperatorsKeepTheUnion() {
  const updates$ = watchRuns(
    [
      { kind: 'response', id: 'resp_1' },
      { kind: 'batch', id: 'batch_1' },
    ],
    { client },
  );
  type Mixed = RunUpdate<Response> | RunUpdate<Batch>;
  expectTypeOf(updates$).toEqualTypeOf<Observable<Mixed>>();

  const settled = await lastValueFrom(updates$.pipe(allSettled()));
  expectTypeOf(settled).toEqualTypeOf<Mixed[]>();
  for (const u of settled) {
    if (u.type === 'error') continue;
    const s = u.snapshot;
    if (s.kind === 'batch') expectTypeOf(s.job).toEqualTypeOf<Batch | undefined>();
    else expectTypeOf(s.job).toEqualTypeOf<Response | undefined>();
  }

  const winner = await lastValueFrom(updates$.pipe(firstCompleted()));
  expectTypeOf(winner).toEqualTypeOf<RunSnapshotUpdate<Response> | RunSnapshotUpdate<Batch>>();
  expectTypeOf(updates$.pipe(progress())).toEqualTypeOf<Observable<RunProgress>>();

  const one$ = watchRuns([{ kind: 'response' as const, id: 'resp_1' }], { client });
  expectTypeOf(one$).toEqualTypeOf<Observable<RunUpdate<Response>>>();
}

export function refsMustBeWellFormed() {
  // @ts-expect-error a response is watched by id, not runId
  watchRun({ client, job: { kind: 'response', runId: 'resp_1' } });
  // @ts-expect-error an unknown kind
  watchRun({ client, job: { kind: 'fine_tune', id: 'ft_1' } });
}
