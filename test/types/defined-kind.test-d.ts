// Type tests: `npm run typecheck` (tsc, which covers test/) fails when the inference below regresses. Nothing here
// runs: every check sits in a function that is only type-checked. A kind defined with `defineKind` types its refs,
// and through them the snapshots of watchRun and of compose (watchRuns, allSettled, firstCompleted, progress),
// with no cast.
import type OpenAI from 'openai';
import type { Response } from 'openai/resources/responses/responses';
import { lastValueFrom, type Observable } from 'rxjs';
import { expectTypeOf } from 'vitest';
import {
  allSettled,
  firstCompleted,
  progress,
  type RunProgress,
  type RunSnapshot,
  type RunUpdate,
  watchRuns,
} from '../../src/index.js';
import type { DefinedSnapshot, DefinedUpdate } from '../../src/kinds/public.js';
import type { RunQueue } from '../../src/queue/index.js';
import { messageBatch } from '../kinds/message-batch-kind.js';
import type { MessageBatch } from '../kinds/message-batch-server.js';

declare const client: OpenAI;
type BatchRef = ReturnType<typeof messageBatch.ref>;

export async function watchRunsTypesADefinedKind() {
  const refs = [messageBatch.ref({ id: 'msgbatch_1' }), messageBatch.ref({ id: 'msgbatch_2' })];
  // No client: the kind makes its own requests, as with watchRun.
  const updates$ = watchRuns(refs, { concurrency: 2 });
  expectTypeOf(updates$).toEqualTypeOf<Observable<DefinedUpdate<BatchRef>>>();
  updates$.subscribe((u) => {
    expectTypeOf(u.job).toEqualTypeOf<BatchRef>();
    if (u.type === 'error') {
      expectTypeOf(u.error).toBeUnknown();
      return;
    }
    expectTypeOf(u.snapshot.kind).toEqualTypeOf<'anthropic.message_batch'>();
    expectTypeOf(u.snapshot.job).toEqualTypeOf<MessageBatch | undefined>();
    expectTypeOf(u.snapshot.job?.request_counts.succeeded).toEqualTypeOf<number | undefined>();
  });

  const settled = await lastValueFrom(updates$.pipe(allSettled()));
  expectTypeOf(settled).toEqualTypeOf<DefinedUpdate<BatchRef>[]>();
  const winner = await lastValueFrom(updates$.pipe(firstCompleted()));
  expectTypeOf(winner.snapshot).toEqualTypeOf<DefinedSnapshot<'anthropic.message_batch', MessageBatch>>();
  expectTypeOf(updates$.pipe(progress())).toEqualTypeOf<Observable<RunProgress>>();
}

export async function aMixedListNeedsAClientAndKeepsTheUnion() {
  const jobs = [{ kind: 'response' as const, id: 'resp_1' }, messageBatch.ref({ id: 'msgbatch_1' })];
  // @ts-expect-error a response is read with the OpenAI client: a list holding one needs it
  watchRuns(jobs, {});
  const updates$ = watchRuns(jobs, { client });
  expectTypeOf(updates$).toEqualTypeOf<Observable<RunUpdate<Response> | DefinedUpdate<BatchRef>>>();
  const settled = await lastValueFrom(updates$.pipe(allSettled()));
  for (const u of settled) {
    if (u.type === 'error') continue;
    const s = u.snapshot;
    // `kind` tells the shipped kind's snapshots from the defined kind's.
    if (s.kind === 'anthropic.message_batch') expectTypeOf(s.job).toEqualTypeOf<MessageBatch | undefined>();
    else expectTypeOf(s.job).toEqualTypeOf<Response | undefined>();
  }
}

export function aDefinedRefIsCheckedLikeAShippedOne() {
  // @ts-expect-error a message batch's ref is made by messageBatch.ref({ id }), with its one id
  messageBatch.ref({ batchId: 'msgbatch_1' });
  // @ts-expect-error a hand-written object is not a defined kind's ref: it lacks the kind's job type
  watchRuns([{ kind: 'anthropic.message_batch', id: 'msgbatch_1' }], {});
}

export async function theQueueTypesADefinedRef(runs: RunQueue) {
  const ref = messageBatch.ref({ id: 'msgbatch_1' });
  type Snapshot = DefinedSnapshot<'anthropic.message_batch', MessageBatch>;
  expectTypeOf(runs.result(ref)).toEqualTypeOf<Promise<Snapshot>>();
  expectTypeOf(runs.observe(ref)).toEqualTypeOf<Observable<Snapshot>>();
  // A shipped kind's ref still names its job type, and so may a defined one's (the form before refs typed it).
  expectTypeOf(runs.result<Response>({ kind: 'response', id: 'resp_1' })).toEqualTypeOf<
    Promise<RunSnapshot<Response>>
  >();
  expectTypeOf(runs.result<MessageBatch>(ref)).toEqualTypeOf<Promise<RunSnapshot<MessageBatch>>>();
  expectTypeOf(runs.result({ kind: 'batch', id: 'batch_1' })).toEqualTypeOf<Promise<RunSnapshot>>();
}
