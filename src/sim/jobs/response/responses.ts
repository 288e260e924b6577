import type { SimContext } from '../../context.js';
import { optionalBoolean, optionalMetadata, optionalString, requireString } from '../../server/body.js';
import { badRequest, notFound } from '../../server/errors.js';
import type { RouteDef } from '../../server/route.js';
import type { SseReply } from '../../server/sse.js';
import { completionWindowMs } from './completion-window.js';
import { ResponseJob } from './response-job.js';
import { responseFeed } from './stream.js';

/** `GET /responses/{id}?stream=true&starting_after=N`: the events after N, for a response created streaming. */
function resumeFrom(job: ResponseJob, query: URLSearchParams): SseReply {
  if (!job.streamed) {
    throw badRequest(
      `Response ${job.id} cannot be streamed: only responses created with stream=true can be streamed again. Retrieve it without stream instead.`,
      'stream',
    );
  }
  const raw = query.get('starting_after');
  const after = raw === null ? -1 : Number(raw);
  if (!Number.isInteger(after) || after < -1) {
    throw badRequest(
      `Invalid 'starting_after': expected an integer >= 0, got ${JSON.stringify(raw)}.`,
      'starting_after',
    );
  }
  return { feed: responseFeed(job), from: after + 1 };
}

/**
 * `responses.create` (background or not, streaming or not), `responses.retrieve` (and with `?stream=true`, the
 * `responses.stream` route), `responses.cancel`.
 */
export function responsesRoutes(ctx: SimContext): RouteDef[] {
  const responses = new Map<string, ResponseJob>();
  const find = (id: string) => {
    const job = responses.get(id);
    if (!job) throw notFound('response', id);
    return job;
  };
  return [
    {
      name: 'responses.create',
      method: 'POST',
      path: '/responses',
      handle: ({ body, now }) => {
        const metadata = optionalMetadata(body);
        const stream = optionalBoolean(body, 'stream') ?? false;
        const background = optionalBoolean(body, 'background') ?? false;
        const job = new ResponseJob(ctx.ids.make('resp_', 48, 'hex'), {
          background,
          stream,
          windowMs: completionWindowMs(body, { background, stream }).ms,
          model: requireString(body, 'model'),
          instructions: optionalString(body, 'instructions'),
          metadata,
          scenario: ctx.scenarioFor('response', metadata),
          random: ctx.jobRandom(),
          ids: ctx.ids,
          now,
        });
        responses.set(job.id, job);
        ctx.jobs.add(job);
        if (stream) return { body: null, sse: { feed: responseFeed(job), from: 0 } };
        return { body: job.toResponse(now) };
      },
    },
    {
      name: 'responses.retrieve',
      method: 'GET',
      path: '/responses/:response_id',
      jobParam: 'response_id',
      streamName: 'responses.stream',
      handle: ({ params, query, now }) => {
        const job = find(params.response_id!);
        if (query.get('stream') === 'true') return { body: null, sse: resumeFrom(job, query) };
        return { body: job.toResponse(now) };
      },
    },
    {
      name: 'responses.cancel',
      method: 'POST',
      path: '/responses/:response_id/cancel',
      jobParam: 'response_id',
      handle: ({ params, now }) => {
        const job = find(params.response_id!);
        job.cancel(now);
        ctx.jobs.replanned(job);
        return { body: job.toResponse(now) };
      },
    },
  ];
}
