import { Observable } from 'rxjs';
import { classifyRequestError, type RequestFailure } from '../errors/from-api-error.js';
import { RetriesExhaustedError } from '../errors/retries-exhausted-error.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import type { SourceContext, StatusEvent } from '../model/types.js';
import { serverHintMs } from './server-hint.js';

/**
 * The result of one request, with the response headers (the shared budget in `budget.ts` reads the
 * `x-ratelimit-*` ones).
 */
export type Outcome = (
  | { ok: true; event: StatusEvent; hintMs: number | undefined; headers: Headers }
  | {
      ok: false;
      failure: Extract<RequestFailure, { transient: true }>;
      hintMs: number | undefined;
      headers: Headers | undefined;
    }
) & {
  /** Requests the read sent beyond its first (a fine-tune's events read), already in `calls`; the budget's too. */
  extraRequests: number;
};

/**
 * One retrieve, counted, as an outcome; a final failure errors with its typed error; an abort ends quietly.
 * Unsubscribing drops the request: it is not aborted, and its answer, when it comes, reaches no one. Shared with
 * the budgeted source (`budget.ts`); not part of the public API. When the watch's signal aborts, the caller
 * unsubscribes: both callers already listen to it once per watch (`onAbort`, which drops the watch and its request
 * in flight).
 *
 * Why a read goes out without an `AbortSignal`: openai 7.60 composes a caller's signal with its own for every
 * request (`AbortSignal.any`, weak references and a finalizer), which keeps each request's objects alive past the
 * young generation's collections. That was 1.11× the CPU of a retrieve without one, in steady state and in one
 * process (docs/benchmarks.md, CPU per retrieve), on every poll of every watch. What an abort would save is small:
 * a read is safe to drop (it changes nothing on the server, and the request has been sent either way), a dropped
 * read's socket returns to the client's pool when it is answered, and one that hangs ends at the client's
 * `timeout`, as the seed's loop's would.
 */
export function request(ctx: SourceContext): Observable<Outcome> {
  // Written out rather than composed (a retrieve piped through map and catchError): every poll goes through here,
  // and three subscribers per retrieve were CPU and garbage on the hot path (docs/benchmarks.md, CPU per retrieve).
  return new Observable<Outcome>((subscriber) => {
    // The watch stopped before this read went out: send nothing.
    if (ctx.signal.aborted) {
      subscriber.complete();
      return;
    }
    // Set when the caller leaves (a nudge, the watch stopping): a late answer or failure is then work for no one.
    let dropped = false;
    // Requests the read sent beyond its first (a fine-tune's events, an idle session's turn), counted as they go out.
    let extraRequests = 0;
    const teardown = () => {
      dropped = true;
    };
    const fail = (e: unknown) => {
      // A watch whose signal aborts has dropped this read already: its callers unsubscribe on the abort.
      if (dropped) return;
      const failure = classifyRequestError(e, ctx.job, ctx.adapter.describe(ctx.job));
      if (!failure.transient) {
        subscriber.error(failure.error);
        return;
      }
      subscriber.next({
        ok: false,
        failure,
        hintMs: serverHintMs(failure.headers, ctx.scheduler.now()),
        headers: failure.headers,
        extraRequests,
      });
      subscriber.complete();
    };
    ctx.meter.add();
    let response: Promise<{ job: unknown; headers: Headers }>;
    try {
      response = ctx.adapter.retrieve(ctx.client, ctx.job, {
        onExtraRequest: () => {
          extraRequests++;
          ctx.meter.add();
        },
      });
    } catch (e) {
      fail(e);
      return teardown;
    }
    response.then(({ job, headers }) => {
      if (dropped) return;
      const at = ctx.scheduler.now();
      let outcome: Outcome;
      try {
        outcome = {
          ok: true,
          event: toStatusEvent(ctx.adapter, job, at, 'poll'),
          hintMs: serverHintMs(headers, at),
          headers,
          extraRequests,
        };
      } catch (e) {
        // A job the kind cannot read is classified like any other failure of the request.
        fail(e);
        return;
      }
      subscriber.next(outcome);
      subscriber.complete();
    }, fail);
    return teardown;
  });
}

/** The error of a watch whose retries ran out (shared with `budget.ts`). */
export function exhausted(
  ctx: SourceContext,
  failures: number,
  failure: Extract<RequestFailure, { transient: true }>,
): RetriesExhaustedError {
  const last = failure.status === undefined ? 'a network error' : `HTTP ${failure.status}`;
  return new RetriesExhaustedError(
    `${ctx.adapter.describe(ctx.job)}: ${failures} requests in a row failed (last: ${last}); the job's outcome is unknown. Check the API's status, or raise poll({ maxRetries })`,
    failures,
    { job: ctx.job, status: failure.status, cause: failure.cause },
  );
}
