import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { JobState } from '../../model/observation.js';
import { idsProblem, ownRef } from '../ref-ids.js';
import { requestOptions } from '../request-options.js';
import { sameAsAge } from '../same-as-age.js';
import type { KindSpec, RefLike } from '../spec.js';
import { responseCommandLine } from './cli.js';
import {
  COMPLETION_WINDOWS,
  type CompletionWindow,
  isCompletionWindow,
  windowDefaults,
} from './completion-window.js';
import { type ResponseText, responseText, textKey } from './text.js';

/**
 * A background response, by id. `completionWindow` is the `background_options.completion_window` it was created
 * with: the Response object does not carry it (openai 7.60 types neither the window nor an `expires_at` on it), so
 * the ref does, and a `2h` or `8h` window gives the watch a deadline and a batch's schedule.
 */
export type ResponseRef = { kind: 'response'; id: string; completionWindow?: CompletionWindow };

const STATES: Record<string, JobState> = {
  queued: 'queued',
  in_progress: 'in_progress',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  incomplete: 'incomplete',
};

const id = (ref: RefLike): string => ownRef<ResponseRef>(ref, 'response', 'a response').id;

const isTerminal = (status: string | undefined): boolean =>
  status === 'completed' || status === 'failed' || status === 'cancelled' || status === 'incomplete';

function refProblem(ref: RefLike): string | undefined {
  const ids = idsProblem(ref, ['id']);
  if (ids || ref.completionWindow === undefined || isCompletionWindow(ref.completionWindow)) return ids;
  return `has completionWindow ${JSON.stringify(ref.completionWindow)}: expected 'soonest', '2h' or '8h' (the background_options.completion_window it was created with)`;
}

/**
 * The spec for a response created with a discounted window. Assumed, as neither the SDK types nor the published
 * spec say it: the deadline is `created_at` + the window, and a response still running then is ended by the
 * server (the simulator ends it `failed`: docs/polling.md, "Discounted background windows"). The expiry guard
 * reads the response at the deadline and believes what the server says.
 */
function windowed(windowMs: number): KindSpec<'response', ResponseRef, Response, ResponseText> {
  return {
    ...response,
    expiresAt: (r) =>
      isTerminal(r.status) || typeof r.created_at !== 'number' ? null : r.created_at * 1000 + windowMs,
    defaults: windowDefaults(windowMs),
    forRef: undefined,
  };
}

// One spec per window, made on first use (each watch of a windowed response asks for it).
const byWindow = new Map<number, KindSpec<'response', ResponseRef, Response, ResponseText>>();

/**
 * Responses API background mode (`responses.create({ background: true })`). No tool loop: status only; the
 * one kind that streams, and the text it writes is on every snapshot.
 */
export const response: KindSpec<'response', ResponseRef, Response, ResponseText> = {
  kind: 'response',
  cli: responseCommandLine,
  jobId: id,
  describe: (ref) => `response ${id(ref)}`,
  refProblem,
  refFromJobId: (jobId) => ({ kind: 'response', id: jobId }),
  async retrieve(client, ref, options) {
    const { data, response } = await client.responses
      .retrieve(id(ref), {}, requestOptions(options))
      .withResponse();
    return { job: data, headers: response.headers };
  },
  async cancel(client, ref, options) {
    const { data, response } = await client.responses.cancel(id(ref), requestOptions(options)).withResponse();
    return { job: data, headers: response.headers };
  },
  status: (r) => r.status ?? 'unknown',
  mapStatus: (status) => STATES[status],
  // A background response in the usual window (`soonest`) has no server expiry; only the watcher's timeout applies.
  // A discounted window's deadline comes from the ref (`forRef`).
  expiresAt: () => null,
  toolCalls: () => [],
  webhookStatus: (type) => (type.startsWith('response.') ? type.slice('response.'.length) : undefined),
  // The GenAI conventions' span for reading a response back (semantic-conventions-genai #353).
  genAiOperations: { retrieve: 'get_response' },
  announced: (ref, status) => ({ id: id(ref), object: 'response', status, announced: true }),
  durationDetail: (job) => (job as { model?: unknown } | undefined)?.model,
  // A response can think for a long while: an hour; polled like a run (docs/polling.md).
  defaults: {
    maxWaitMs: 60 * 60_000,
    poll: { growth: { share: 0.03, maxDelayMs: 60_000 } },
    hybridPoll: sameAsAge(90_000, 60 * 60_000),
  },
  forRef(ref) {
    const window = (ref as Partial<ResponseRef>).completionWindow;
    const ms = window === undefined ? null : COMPLETION_WINDOWS[window];
    if (!ms) return response;
    let spec = byWindow.get(ms);
    if (!spec) {
      spec = windowed(ms);
      byWindow.set(ms, spec);
    }
    return spec;
  },
  slimFields: ['id', 'object', 'status', 'created_at'],
  snapshotExtras: responseText,
  extrasKey: textKey,
  stream: {
    events(client, ref, startingAfter, options) {
      const query =
        startingAfter === undefined
          ? { stream: true as const }
          : { stream: true as const, starting_after: startingAfter };
      return client.responses.retrieve(id(ref), query, requestOptions(options)) as Promise<
        AsyncIterable<ResponseStreamEvent>
      >;
    },
  },
};
