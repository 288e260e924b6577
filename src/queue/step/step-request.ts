import { classifyRequestError } from '../../errors/from-api-error.js';
import { toStatusEvent } from '../../kinds/to-status-event.js';
import type { StatusEvent } from '../../model/types.js';
import { type StepContext, serverWaitMs } from './step-context.js';

/** How a step's one request ended. */
export type RequestOutcome =
  | { ok: true; event: StatusEvent }
  /** 429: the step tells every worker to wait (`step.rateLimitMs`); the request was not processed. */
  | { ok: false; kind: 'rate_limited' }
  /** 5xx, a dropped connection: a read is retried next step; a write's fate is unknown until a read. */
  | { ok: false; kind: 'transient' }
  /** 401, 403, 404, another 4xx: `step.fault` holds the typed error. */
  | { ok: false; kind: 'final'; status: number | undefined };

// Without a retry-after, a 429 backs the fleet off this long: long enough for a per-minute window to refill a bit.
const DEFAULT_RATE_LIMIT_MS = 1000;

/**
 * What a step passes a kind as `onExtraRequest`: before each request beyond the step's first goes out, wait for
 * room in the fleet's request limit, then count it in the watch's `calls`.
 */
export function extraRequest(step: StepContext): () => Promise<void> {
  return async () => {
    await step.takeRequestSlot?.(step.signal);
    step.data.calls++;
  };
}

/**
 * One HTTP request of a step: counted in the watch's `calls`, no SDK retries (the adapters pass `maxRetries: 0`),
 * and sorted by the same rules as an in-process watch: reads are safe to retry; a 429 was not processed; a 5xx
 * on a write leaves its fate unknown. The caller decides what to do with each outcome.
 */
export async function stepRequest(
  step: StepContext,
  what: string,
  call: (onExtraRequest: () => Promise<void>) => Promise<{ job: unknown; headers: Headers }>,
): Promise<RequestOutcome> {
  step.data.calls++;
  try {
    // A read that sends more than one request (a fine-tune's events read) counts each, and waits for the fleet's
    // limit, as it goes out; a wait cut short by a closing worker fails the read as a dropped connection would.
    const { job } = await call(extraRequest(step));
    return { ok: true, event: toStatusEvent(step.adapter, job, step.now(), 'poll') };
  } catch (e) {
    const failure = classifyRequestError(e, step.data.job, what);
    if (!failure.transient) {
      step.fault = failure.error;
      return { ok: false, kind: 'final', status: failure.error.status };
    }
    const hint = serverWaitMs(step, failure.headers);
    if (failure.status === 429) {
      step.rateLimitMs = Math.max(step.rateLimitMs ?? 0, hint ?? DEFAULT_RATE_LIMIT_MS);
      return { ok: false, kind: 'rate_limited' };
    }
    step.transient = { hintMs: hint };
    return { ok: false, kind: 'transient' };
  }
}
