import type { Response } from 'openai/resources/responses/responses';
import type { JobRef, JobState, KindAdapter } from '../model/types.js';
import { requestOptions } from './request-options.js';

const STATES: Record<string, JobState> = {
  queued: 'queued',
  in_progress: 'in_progress',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  incomplete: 'incomplete',
};

function id(ref: JobRef): string {
  if (ref.kind !== 'response') throw new TypeError(`not a response: ${ref.kind}`);
  return ref.id;
}

/** Responses API background mode (`responses.create({ background: true })`). No tool loop: status only. */
export const response: KindAdapter<Response> = {
  kind: 'response',
  jobId: id,
  describe: (ref) => `response ${id(ref)}`,
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
};
