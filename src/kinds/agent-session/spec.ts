import type OpenAI from 'openai';
import type { CallOptions, JobState } from '../../model/observation.js';
import { idsProblem, ownRef } from '../ref-ids.js';
import { requestOptions } from '../request-options.js';
import { sameAsAge } from '../same-as-age.js';
import type { KindSpec, RefLike } from '../spec.js';
import { agentSessionCommandLine } from './cli.js';
import { answerEvents, requiredToolCalls } from './required-actions.js';
import { type SessionStreamEvent, sessionStreamReader } from './stream-events.js';
import type { AgentSession, SessionInputEvent, SessionTurn } from './types.js';

/** A Managed Agents session (`client.beta.agents.sessions`, openai 7), by id: a watch follows its current turn. */
export type AgentSessionRef = { kind: 'agent.session'; sessionId: string };

// A watch follows one turn: the session working (in_progress), waiting for the caller (requires_action), then idle
// again or failed. An idle session does not say how its turn ended (completed, or cancelled: a cancel leaves the
// session idle too), so a read of an idle session also reads its latest turn, and the turn's status is the one a
// watch reports. `idle` itself maps to no state: an announced `agent.session.idle` (a webhook, which names no
// turn) is unknown until a read, which the webhook source then makes.
const STATES: Record<string, JobState> = {
  in_progress: 'in_progress',
  requires_action: 'requires_action',
  failed: 'failed',
  // The latest turn of an idle session.
  completed: 'completed',
  cancelled: 'cancelled',
  // A new turn the session does not show as working yet (the two reads crossed it): keep watching.
  queued: 'in_progress',
  waiting: 'in_progress',
};

// Webhook types (`agent.session.<suffix>`) and the status each announces; `created` announces none: a session
// created with input is already working, one without is idle, and the event does not say which.
const WEBHOOK_STATUSES: Record<string, AgentSession['status']> = {
  in_progress: 'in_progress',
  action_required: 'requires_action',
  idle: 'idle',
  failed: 'failed',
};

const id = (ref: RefLike): string =>
  ownRef<AgentSessionRef>(ref, 'agent.session', 'an agent.session').sessionId;

// openai 7 has `client.beta.agents.sessions`; openai 6 has not, so its client reaches the same paths through its
// generic methods (with the beta header the resource sends). Either way one request, no SDK retries.
const BETA = { 'OpenAI-Beta': 'agents=v1' };

const sessionPath = (ref: RefLike) => `/agents/sessions/${encodeURIComponent(id(ref))}`;

/**
 * Reads the session; when it is idle, also its latest turn (`sessions.turns.list`, newest first, one), kept on
 * the object as `last_turn`: two requests then, counted.
 */
async function retrieve(client: OpenAI, ref: RefLike, options: CallOptions) {
  const { data, response } = await client
    .get<AgentSession>(sessionPath(ref), { ...requestOptions(options), headers: BETA })
    .withResponse();
  if (data.status !== 'idle') return { job: data, headers: response.headers };
  await options.onExtraRequest?.();
  const turns = await client.get<{ data: SessionTurn[] }>(`${sessionPath(ref)}/turns`, {
    ...requestOptions(options),
    query: { limit: 1, order: 'desc' },
    headers: BETA,
  });
  const job: AgentSession = { ...data, last_turn: turns.data[0] ?? null };
  return { job, headers: response.headers };
}

/** The status a watch reads: the session's, or for an idle session that was read, its latest turn's. */
function status(session: AgentSession): string {
  if (session.status !== 'idle' || !session.last_turn) return session.status;
  return session.last_turn.status;
}

/** `sessions.events.create`: 202, no body. */
async function sendEvents(client: OpenAI, ref: RefLike, events: SessionInputEvent[], options: CallOptions) {
  await client.post(`${sessionPath(ref)}/events`, {
    ...requestOptions(options),
    body: { events },
    headers: { ...BETA, Accept: '*/*' },
  });
}

/** A session adds nothing to a snapshot: its required actions are the snapshot's tool calls. */
type NoExtras = Record<never, never>;

/**
 * Managed Agents sessions (beta, openai 7). Function calls, MCP and computer-use approval requests are the
 * session's `required_actions`; their answers go back as input events through `sessions.events.create`.
 */
export const agentSession: KindSpec<'agent.session', AgentSessionRef, AgentSession, NoExtras> = {
  kind: 'agent.session',
  cli: agentSessionCommandLine,
  jobId: id,
  describe: (ref) => `agent session ${id(ref)}`,
  refProblem: (ref) => idsProblem(ref, ['sessionId']),
  refFromJobId: (sessionId) => ({ kind: 'agent.session', sessionId }),
  retrieve,
  // A cancel is an input event (202, no body); the session read after it is the answer, with its latest turn
  // (`cancelled`) once it reads idle: two or three requests.
  async cancel(client, ref, options) {
    await sendEvents(client, ref, [{ type: 'agent.session.input.cancel' }], options);
    await options.onExtraRequest?.();
    return retrieve(client, ref, options);
  },
  // The answers name their turn, which only the session's required actions tell: read it, then send the events
  // (202, no body). The read's session is the answer: it may still show the actions (the status lags a moment, as
  // a run's does), and the watch looks again without resending. Two requests.
  async submitToolOutputs(client, ref, outputs, options) {
    const { job, headers } = await retrieve(client, ref, options);
    const events = answerEvents(job, outputs);
    if (events.length === 0) return { job, headers };
    await options.onExtraRequest?.();
    await sendEvents(client, ref, events, options);
    return { job, headers };
  },
  status,
  mapStatus: (status) => STATES[status],
  expiresAt: () => null,
  toolCalls: requiredToolCalls,
  webhookStatus: (type) =>
    type.startsWith('agent.session.') ? WEBHOOK_STATUSES[type.slice('agent.session.'.length)] : undefined,
  announced: (ref, status) => ({ id: id(ref), object: 'agent.session', status, announced: true }),
  durationDetail: (job) => (job as { agent?: { model?: unknown } } | undefined)?.agent?.model,
  // A turn can work for a long while (tools, sub-agents, a browser): an hour, polled like a response.
  defaults: {
    maxWaitMs: 60 * 60_000,
    poll: { growth: { share: 0.03, maxDelayMs: 60_000 } },
    hybridPoll: sameAsAge(90_000, 60 * 60_000),
  },
  slimFields: ['id', 'object', 'status', 'created_at', 'last_active_at', 'required_actions', 'last_turn'],
  snapshotExtras: () => ({}),
  extrasKey: () => '',
  // `sessions.events.stream` (GET /agents/sessions/{id}/events, SSE): live only. Its one parameter is
  // `include_obfuscation` (padding off here: it only costs bytes); events carry an `event_id` but the API takes no
  // cursor to resume after, so `stream()` reads the session after each connect instead.
  stream: {
    events(client, ref, _startingAfter, options) {
      return client.get(`${sessionPath(ref)}/events`, {
        ...requestOptions(options),
        query: { include_obfuscation: false },
        headers: { ...BETA, Accept: 'text/event-stream' },
        stream: true,
        __streamMode: 'events',
      } as Parameters<OpenAI['get']>[1]) as unknown as Promise<AsyncIterable<SessionStreamEvent>>;
    },
    live: sessionStreamReader,
  },
};
