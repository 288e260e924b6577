import { APIError } from 'openai';
import { ConfigurationError } from '../errors/configuration-error.js';
import { classifyRequestError } from '../errors/from-api-error.js';
import type { RunstateError } from '../errors/runstate-error.js';
import type { StatusEvent, ToolOutput } from '../model/types.js';
import type { BackoffPolicy } from '../sources/backoff.js';
import { DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BACKOFF } from '../sources/poll.js';
import { abortedError, type RequestDeps, send, sleep } from './request-deps.js';
import { exhaustedError, retryDelay, retryRead, type TransientFailure } from './retry-read.js';

/** Options of {@link submitOutputs}. */
export interface SubmitOutputsOptions {
  /** Every output of one round, sent in one request. */
  outputs: readonly ToolOutput[];
  /**
   * Epoch ms on `deps.scheduler` after which retrying is pointless: the earlier of the run's `expires_at` and the
   * watch's deadline. No retry starts at or after it.
   *
   * @defaultValue none: 429s are then retried until the signal aborts
   */
  until?: number;
  /**
   * How many times a submission whose fate was unknown (5xx, dropped connection) is read about and re-sent.
   *
   * @defaultValue `8`
   */
  maxUnknown?: number;
  /**
   * The schedule of retries.
   *
   * @defaultValue 1 s, ×2, capped at 30 s, full jitter
   */
  backoff?: BackoffPolicy;
}

/**
 * How a submission ended, with the observation that says so:
 * - `submitted`: the server answered 200 to this process's request;
 * - `landed`: a request of ours failed without an answer (5xx, dropped connection), and a read showed the run had
 *   moved past these calls, so it landed;
 * - `answered_elsewhere`: the server refused ours because the calls were already answered (by another watcher, or
 *   by an earlier request of ours whose answer was lost): the run is past them either way.
 */
export interface SubmissionResult {
  outcome: 'submitted' | 'landed' | 'answered_elsewhere';
  event: StatusEvent;
}

/** What a failed submission means before anything is re-sent. */
export type SubmissionFailure =
  /** 429: the request was not processed; send it again after the hint. */
  | { kind: 'not_processed'; failure: TransientFailure }
  /** 5xx, 408, 409, dropped connection: it may have landed; read the run before sending again. */
  | { kind: 'fate_unknown'; failure: TransientFailure }
  /**
   * 400: refused. `alreadyAnswered` when the message says the outputs were already submitted or the run no
   * longer accepts outputs; otherwise read the run: past these calls means someone else answered.
   */
  | { kind: 'refused'; alreadyAnswered: boolean; error: RunstateError }
  /** 401, 403, 404, other 4xx: final. */
  | { kind: 'final'; error: RunstateError };

// OpenAI: 'Runs in status "queued" do not accept tool outputs.'; the simulator also says 'were already submitted'.
const ALREADY_ANSWERED =
  /already (?:been )?submitted|do(?:es)? not accept tool outputs|not in (?:status )?"?requires_action/i;

/**
 * Sorts the error of one submission request (pure; no I/O): which rule of {@link submitOutputs} applies.
 * @example classifySubmissionError(e, job, 'submitting tool outputs').kind // 'fate_unknown' for a 503
 */
export function classifySubmissionError(
  e: unknown,
  deps: Pick<RequestDeps, 'job'>,
  what: string,
): SubmissionFailure {
  const failure = classifyRequestError(e, deps.job, what);
  if (failure.transient) {
    return failure.status === 429 ? { kind: 'not_processed', failure } : { kind: 'fate_unknown', failure };
  }
  if (failure.error.status === 400) {
    const message = e instanceof APIError ? e.message : String(e);
    return { kind: 'refused', alreadyAnswered: ALREADY_ANSWERED.test(message), error: failure.error };
  }
  return { kind: 'final', error: failure.error };
}

/**
 * True when an observation shows the run still waiting for outputs of any of `callIds`: a submission of them has
 * not landed, and sending it again is safe (the API refuses a second submission for answered calls). Pure.
 */
export function isWaitingFor(event: StatusEvent, callIds: readonly string[]): boolean {
  return event.state === 'requires_action' && event.toolCalls.some((c) => callIds.includes(c.id));
}

/**
 * Shared request rule: submits one round of tool outputs and finds out whether it landed instead of guessing.
 * - 429: not processed; sent again after the server's hint (a lower bound) or the backoff, until `until`.
 * - 5xx, 408, 409 or a dropped connection: the outputs may have landed. After the backoff, the run is re-read
 *   (with {@link retryRead}): past these calls ⇒ `landed`; still waiting for the same call ids ⇒ sent again, at
 *   most `maxUnknown` times.
 * - 400 saying the outputs were already submitted, or that the run left `requires_action` (or any 400 after
 *   which a read shows the run past these calls): someone else answered ⇒ `answered_elsewhere`. Another 400
 *   rejects with the `BadRequestError`.
 * - 401, 403, 404: rejects with the typed error at once.
 *
 * Rejects with `RetriesExhaustedError` when a bound runs out (the outputs' fate is unknown), with `AbortedError`
 * when `deps.signal` aborts, and with `ConfigurationError` for a kind without tool outputs.
 *
 * @example
 * const { outcome, event } = await submitOutputs(deps, { outputs, until: Math.min(expiresAt, deadline) });
 * // outcome: 'submitted' | 'landed' | 'answered_elsewhere'; event: the run as last seen
 */
export async function submitOutputs(
  deps: RequestDeps,
  options: SubmitOutputsOptions,
): Promise<SubmissionResult> {
  const { adapter, client, job } = deps;
  const submit = adapter.submitToolOutputs;
  if (!submit) throw new ConfigurationError(`${job.kind} jobs take no tool outputs`, { job });
  const what = `submitting tool outputs to ${adapter.describe(job)}`;
  const { outputs } = options;
  const callIds = outputs.map((o) => o.tool_call_id);
  const until = options.until ?? Number.POSITIVE_INFINITY;
  const maxUnknown = options.maxUnknown ?? DEFAULT_MAX_RETRIES;
  const backoff = options.backoff ?? DEFAULT_RETRY_BACKOFF;
  const reread = () => retryRead(deps, { until });
  let rateLimited = 0;
  let unknown = 0;
  for (;;) {
    try {
      return { outcome: 'submitted', event: await send(deps, (o) => submit(client, job, outputs, o)) };
    } catch (e) {
      if (deps.signal.aborted) throw abortedError(deps, what);
      const failure = classifySubmissionError(e, deps, what);
      if (failure.kind === 'final') throw failure.error;
      if (failure.kind === 'refused') {
        const seen = await reread();
        if (failure.alreadyAnswered || !isWaitingFor(seen, callIds)) {
          return { outcome: 'answered_elsewhere', event: seen };
        }
        throw failure.error;
      }
      const attempts = rateLimited + unknown + 1;
      if (failure.kind === 'not_processed') rateLimited++;
      else unknown++;
      if (unknown > maxUnknown) {
        throw exhaustedError(deps, what, attempts, failure.failure, 'whether the outputs landed is unknown');
      }
      const wait = retryDelay(
        deps,
        backoff,
        failure.kind === 'not_processed' ? rateLimited : unknown,
        failure.failure,
      );
      if (deps.scheduler.now() + wait >= until) {
        throw exhaustedError(
          deps,
          what,
          attempts,
          failure.failure,
          "the run's expires_at or the watch's deadline comes before the next try",
        );
      }
      await sleep(deps, wait, what);
      if (failure.kind === 'fate_unknown') {
        const seen = await reread();
        if (!isWaitingFor(seen, callIds)) return { outcome: 'landed', event: seen };
      }
    }
  }
}
