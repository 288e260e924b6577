import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { SseFeed, TimedEvent } from '../../server/sse.js';
import type { ResponseJob } from './response-job.js';

// Every event below is checked against the SDK's ResponseStreamEvent union, minus the sequence number the feed
// gives it from its place in the list.
type Unnumbered<E> = E extends unknown ? Omit<E, 'sequence_number'> : never;
type StreamEvent = Unnumbered<ResponseStreamEvent>;

/**
 * The server-sent events of a streamed background response, as the Responses API writes them:
 * `response.created`, `response.queued`, `response.in_progress`, the message's `output_item.added` and
 * `content_part.added`, one `response.output_text.delta` per scripted piece, then on completion (or incomplete)
 * `output_text.done`, `content_part.done`, `output_item.done` and `response.completed` (`response.incomplete`), or
 * on failure `error` then `response.failed`. A cancelled response has no stream event (the SDK knows none): its
 * stream just ends.
 */
export function responseEvents(job: ResponseJob): TimedEvent[] {
  const { plan } = job;
  const list: { at: number; event: StreamEvent }[] = [];
  const add = (at: number, event: StreamEvent) => list.push({ at, event });
  const end = plan.final;
  const ended = job.isTerminal(end.status);
  const created = job.createdAt;

  add(created, { type: 'response.created', response: job.toResponse(created) });
  if (plan.statusAt(created) === 'queued') {
    add(created, { type: 'response.queued', response: job.toResponse(created) });
  }
  const started = plan.reachedAt('in_progress', end.at);
  const item = { id: job.messageId, type: 'message' as const, role: 'assistant' as const };
  const at = { item_id: job.messageId, output_index: 0, content_index: 0 };
  if (started !== undefined) {
    add(started, { type: 'response.in_progress', response: job.toResponse(started) });
    add(started, {
      type: 'response.output_item.added',
      output_index: 0,
      item: { ...item, status: 'in_progress', content: [] },
    });
    add(started, {
      type: 'response.content_part.added',
      ...at,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
    });
    for (const delta of job.deltas) {
      // A cancel (or the end) stops the text where it lands.
      if (ended && delta.at > end.at) break;
      add(delta.at, { type: 'response.output_text.delta', ...at, delta: delta.text, logprobs: [] });
    }
  }
  if (ended) {
    const response = job.toResponse(end.at);
    const text = job.textAt(end.at);
    if ((end.status === 'completed' || end.status === 'incomplete') && started !== undefined) {
      const status = end.status === 'completed' ? 'completed' : 'incomplete';
      const part = { type: 'output_text' as const, text, annotations: [], logprobs: [] };
      add(end.at, { type: 'response.output_text.done', ...at, text, logprobs: [] });
      add(end.at, { type: 'response.content_part.done', ...at, part });
      add(end.at, {
        type: 'response.output_item.done',
        output_index: 0,
        item: { ...item, status, content: [part] },
      });
    }
    if (end.status === 'completed') add(end.at, { type: 'response.completed', response });
    if (end.status === 'incomplete') add(end.at, { type: 'response.incomplete', response });
    if (end.status === 'failed') {
      add(end.at, {
        type: 'error',
        code: response.error?.code ?? 'server_error',
        message: response.error?.message ?? 'The model failed to generate a response.',
        param: null,
      });
      add(end.at, { type: 'response.failed', response });
    }
  }
  return list.map(({ at, event }, sequence_number) => ({
    at,
    event: event.type,
    data: { ...event, sequence_number },
  }));
}

/** The feed `serveSse` writes for one streamed response. */
export function responseFeed(job: ResponseJob): SseFeed {
  return {
    events: () => responseEvents(job),
    ended: (now) => job.isTerminal(job.plan.statusAt(now)),
    endsAt: () => job.plan.final.at,
    onChange: (fn) => job.onChange(fn),
  };
}
