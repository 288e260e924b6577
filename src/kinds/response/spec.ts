import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { JobState } from '../../model/observation.js';
import { idsProblem, ownRef } from '../ref-ids.js';
import { requestOptions } from '../request-options.js';
import { sameAsAge } from '../same-as-age.js';
import type { KindSpec, RefLike } from '../spec.js';
import { type ResponseText, responseText, textKey } from './text.js';

/** A background response, by id. */
export type ResponseRef = { kind: 'response'; id: string };

const STATES: Record<string, JobState> = {
  queued: 'queued',
  in_progress: 'in_progress',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  incomplete: 'incomplete',
};

const id = (ref: RefLike): string => ownRef<ResponseRef>(ref, 'response', 'a response').id;

/**
 * Responses API background mode (`responses.create({ background: true })`). No tool loop: status only; the
 * one kind that streams, and the text it writes is on every snapshot.
 */
export const response: KindSpec<'response', ResponseRef, Response, ResponseText> = {
  kind: 'response',
  jobId: id,
  describe: (ref) => `response ${id(ref)}`,
  refProblem: (ref) => idsProblem(ref, ['id']),
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
  // Background responses carry no server expiry; only the watcher's own timeout applies.
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
