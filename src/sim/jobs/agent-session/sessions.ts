import type { SessionInputEvent } from '../../../kinds/agent-session/types.js';
import type { SimContext } from '../../context.js';
import { optionalArray, optionalMetadata, optionalString } from '../../server/body.js';
import { badRequest, notFound } from '../../server/errors.js';
import type { RouteDef } from '../../server/route.js';
import { paginate } from '../list.js';
import { SessionJob } from './session-job.js';
import { sessionFeed } from './stream.js';

const INPUT_TYPES = new Set<string>([
  'agent.session.input.message',
  'agent.session.input.cancel',
  'agent.session.input.tool_result',
  'agent.session.input.mcp_approval_request_result',
  'agent.session.input.computer_use_approval_request_result',
]);

/** Reads `events` of a `sessions.events.create` body, or throws the API's 400. */
function inputEvents(body: Record<string, unknown>): SessionInputEvent[] {
  const events = optionalArray(body, 'events');
  if (!events || events.length === 0) throw badRequest("'events' must be a non-empty array.", 'events');
  events.forEach((event, i) => {
    const type = (event as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !INPUT_TYPES.has(type)) {
      throw badRequest(`Invalid 'events[${i}].type': ${JSON.stringify(type)}.`, `events[${i}].type`);
    }
    const e = event as Record<string, unknown>;
    const idKey = type === 'agent.session.input.tool_result' ? 'call_id' : 'request_id';
    if (type.endsWith('_result') && (typeof e[idKey] !== 'string' || e[idKey] === '')) {
      throw badRequest(`Missing required parameter: 'events[${i}].${idKey}'.`, `events[${i}].${idKey}`);
    }
  });
  return events as SessionInputEvent[];
}

/**
 * Managed Agents sessions (openai 7 beta): `beta.agents.sessions.create / retrieve`, `sessions.turns.list /
 * retrieve`, and `sessions.events.create` (202, no body) and `.stream` (SSE), under `/agents/sessions`.
 */
export function sessionsRoutes(ctx: SimContext): RouteDef[] {
  const sessions = new Map<string, SessionJob>();
  const find = (id: string) => {
    const job = sessions.get(id);
    if (!job) throw notFound('agent session', id);
    return job;
  };
  return [
    {
      name: 'sessions.create',
      method: 'POST',
      path: '/agents/sessions',
      handle: ({ body, now }) => {
        if (body.stream === true)
          throw badRequest('The simulator does not stream session creation.', 'stream');
        const metadata = optionalMetadata(body);
        const agent = (body.agent ?? {}) as { model?: unknown; instructions?: unknown };
        const input = body.input;
        const job = new SessionJob({
          id: ctx.ids.make('sess_', 48, 'hex'),
          model: typeof agent.model === 'string' ? agent.model : 'gpt-5',
          instructions: typeof agent.instructions === 'string' ? agent.instructions : null,
          metadata,
          input: input !== undefined && input !== null && input !== '',
          scenario: ctx.scenarioFor('agent.session', metadata),
          random: ctx.jobRandom(),
          ids: ctx.ids,
          now,
        });
        optionalString(body, 'agent_id');
        sessions.set(job.id, job);
        ctx.jobs.add(job);
        return { body: job.toSession(now) };
      },
    },
    {
      name: 'sessions.retrieve',
      method: 'GET',
      path: '/agents/sessions/:session_id',
      jobParam: 'session_id',
      handle: ({ params, now }) => ({ body: find(params.session_id!).toSession(now) }),
    },
    {
      name: 'sessions.turns.list',
      method: 'GET',
      path: '/agents/sessions/:session_id/turns',
      jobParam: 'session_id',
      handle: ({ params, query, now }) => ({ body: paginate(find(params.session_id!).turns(now), query) }),
    },
    {
      name: 'sessions.turns.retrieve',
      method: 'GET',
      path: '/agents/sessions/:session_id/turns/:turn_id',
      jobParam: 'session_id',
      handle: ({ params, now }) => {
        const turn = find(params.session_id!)
          .turns(now)
          .find((t) => t.id === params.turn_id);
        if (!turn) throw notFound('turn', params.turn_id!);
        return { body: turn };
      },
    },
    {
      // openai 7's `sessions.events.stream`: a live SSE stream (its one parameter, `include_obfuscation`, is
      // accepted and ignored: the simulator pads nothing).
      name: 'sessions.events.stream',
      method: 'GET',
      path: '/agents/sessions/:session_id/events',
      jobParam: 'session_id',
      handle: ({ params, now }) => ({ body: null, sse: sessionFeed(find(params.session_id!), now) }),
    },
    {
      name: 'sessions.events.create',
      method: 'POST',
      path: '/agents/sessions/:session_id/events',
      jobParam: 'session_id',
      handle: ({ params, body, now }) => {
        const job = find(params.session_id!);
        job.accept(now, inputEvents(body));
        ctx.jobs.replanned(job);
        return { status: 202, body: null };
      },
    },
  ];
}
