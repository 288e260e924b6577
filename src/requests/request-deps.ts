import type OpenAI from 'openai';
import type { SchedulerLike } from 'rxjs';
import { AbortedError } from '../errors/aborted-error.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import type { CallOptions, JobRef, KindAdapter, RequestMeter, StatusEvent } from '../model/types.js';
import { MAX_TIMER_MS } from '../sources/backoff.js';

/**
 * What the shared request rules need to talk about one job. A `SourceContext` has every field, so a source's
 * context can be passed as is; the durable queue builds one per step.
 */
export interface RequestDeps {
  client: OpenAI;
  // biome-ignore lint/suspicious/noExplicitAny: adapters are heterogeneous; each kind's module is typed
  adapter: KindAdapter<any>;
  job: JobRef;
  /** Every wait (backoff, server hints) is scheduled here; `now()` stamps observations. */
  scheduler: SchedulerLike;
  /** Aborts the request in flight and any wait; the rule then rejects with an `AbortedError`. */
  signal: AbortSignal;
  /** Counts every HTTP request sent, retries included. */
  meter: RequestMeter;
  /** Random source in [0, 1) for the jitter of retries. */
  random: () => number;
}

/** One HTTP call of an adapter: `adapter.retrieve`, `adapter.cancel`, a submission. */
export type AdapterCall = (options: CallOptions) => Promise<{ job: unknown; headers: Headers }>;

/** The rejection of a rule whose signal aborted: the caller stopped, nothing is known about the job. */
export function abortedError(deps: RequestDeps, what: string): AbortedError {
  return new AbortedError(`stopped ${what}: the signal aborted`, {
    job: deps.job,
    cause: deps.signal.reason,
  });
}

/**
 * Sends one counted request, aborted with `deps.signal`, and reads its answer as an observation stamped with
 * `deps.scheduler.now()`. Errors are the SDK's, untouched: the rules classify them.
 */
export async function send(deps: RequestDeps, call: AdapterCall): Promise<StatusEvent> {
  // One controller per request, linked by hand: AbortSignal.any would keep a dependent signal per request alive
  // on a long-lived watch signal.
  const controller = new AbortController();
  const abort = () => controller.abort(deps.signal.reason);
  if (deps.signal.aborted) abort();
  else deps.signal.addEventListener('abort', abort, { once: true });
  deps.meter.add();
  try {
    // A kind whose answer takes a read besides the write (an agent session's events) counts it as it goes out.
    const { job } = await call({
      signal: controller.signal,
      onExtraRequest: () => deps.meter.add(),
    });
    return toStatusEvent(deps.adapter, job, deps.scheduler.now(), 'poll');
  } finally {
    deps.signal.removeEventListener('abort', abort);
  }
}

/**
 * Waits `ms` on `deps.scheduler` (clamped to the longest delay a timer holds, so an overflowing delay never fires
 * at once); rejects with an `AbortedError` when the signal aborts.
 */
export function sleep(deps: RequestDeps, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (deps.signal.aborted) {
      reject(abortedError(deps, what));
      return;
    }
    const onAbort = () => {
      timer.unsubscribe();
      reject(abortedError(deps, what));
    };
    const timer = deps.scheduler.schedule(
      () => {
        deps.signal.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, ms)),
    );
    deps.signal.addEventListener('abort', onAbort, { once: true });
  });
}
