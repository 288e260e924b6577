import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentSessionRef } from '../../src/kinds/agent-session/spec.js';
import type { AgentSession, SessionInputEvent } from '../../src/kinds/agent-session/types.js';
import type { RunSnapshot } from '../../src/model/types.js';
import { type Scenario, type Simulator, startSimulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { hybrid } from '../../src/sources/hybrid.js';
import { poll } from '../../src/sources/poll.js';
import { stream } from '../../src/sources/stream.js';
import { webhookSource } from '../../src/sources/webhook.js';
import { type WatchRunOptions, watchRun } from '../../src/watch/watch-run.js';
import { createWebhookHub, type WebhookHub } from '../../src/webhooks/hub.js';
import { createAgentSession, retrieveAgentSession } from '../helpers/agent-session.js';
import { type DrivenSim, drivenSim } from '../helpers/manual-driver.js';
import { OPENAI_MAJOR } from '../helpers/sdk.js';
import { makeWebhookSecret } from '../helpers/sign-webhook.js';
import { scenarioMeta, simClient } from '../helpers/sim.js';
import { listenHub } from '../helpers/webhook-server.js';

/** openai 7's `beta.agents.sessions` as these tests call it (the helpers keep the rest openai 6-safe). */
interface SdkAgents {
  beta: {
    agents: {
      sessions: {
        retrieve(id: string): Promise<{ status: string }>;
        turns: {
          list(id: string): Promise<{ data: { id: string; status: string }[] }>;
          retrieve(id: string, params: { session_id: string }): Promise<Record<string, unknown>>;
        };
      };
    };
  };
}

// Managed Agents sessions watched through the official SDK against the simulator: one turn, from in_progress
// through each requires_action to idle (completed) or failed.

let sims: Simulator[] = [];
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all([...sims.map((s) => s.close()), ...closers.map((c) => c())]);
  sims = [];
  closers = [];
});

async function driven(): Promise<DrivenSim> {
  const d = await drivenSim();
  sims.push(d.sim);
  return d;
}

async function createSession(d: Pick<DrivenSim, 'client'>, scenario: Scenario): Promise<AgentSessionRef> {
  const session = await createAgentSession(d.client, {
    environment: { type: 'none' },
    agent: { model: 'gpt-5' },
    input: 'What is the weather in Paris?',
    metadata: scenarioMeta(scenario),
  });
  return { kind: 'agent.session', sessionId: session.id };
}

/** The answers the simulator accepted for a session, read from its own record (not through runstate). */
function answersOf(sim: Simulator, ref: AgentSessionRef): SessionInputEvent[] {
  return (sim.job(ref.sessionId)?.answers ?? []) as SessionInputEvent[];
}

function watch(d: DrivenSim, options: Omit<WatchRunOptions<AgentSessionRef>, 'client' | 'scheduler'>) {
  const seen = { snapshots: [] as RunSnapshot[], done: false, error: undefined as unknown };
  watchRun({
    client: d.client,
    scheduler: simScheduler(d.sim.clock),
    random: () => 0.5,
    ...options,
  }).subscribe({
    next: (s) => seen.snapshots.push(s),
    error: (e) => {
      seen.error = e;
      seen.done = true;
    },
    complete: () => {
      seen.done = true;
    },
  });
  return seen;
}

const ROUND: Scenario = {
  phases: { in_progress: 1000 },
  toolCalls: [
    [
      { name: 'get_weather', arguments: { city: 'Paris' } },
      { name: 'get_time', arguments: { tz: 'Europe/Paris' } },
    ],
    [{ name: 'get_weather', arguments: { city: 'Lyon' } }],
  ],
  outcome: 'completed',
};

describe('watchRun of an agent.session (poll)', () => {
  it('answers each function call once through sessions.events.create, in its turn, and ends completed at idle', async () => {
    const d = await driven();
    const ref = await createSession(d, ROUND);
    const handled: string[] = [];
    const seen = watch(d, {
      job: ref,
      tools: {
        get_weather: (args, call) => {
          handled.push(call.id);
          return { city: (args as { city: string }).city, celsius: 21 };
        },
        get_time: (_args, call) => {
          handled.push(call.id);
          return '14:05';
        },
      },
    });
    await d.until(() => seen.done, 200);
    const last = seen.snapshots.at(-1)!;
    expect(seen.error).toBeUndefined();
    expect(last).toMatchObject({ state: 'completed', status: 'completed', done: true });
    expect((last.job as AgentSession).last_turn).toMatchObject({ status: 'completed' });
    expect(seen.snapshots.map((s) => s.state)).toContain('requires_action');
    const answers = answersOf(d.sim, ref);
    expect(answers.map((a) => a.type)).toEqual([
      'agent.session.input.tool_result',
      'agent.session.input.tool_result',
      'agent.session.input.tool_result',
    ]);
    // Once per call id, and every answer names its call's turn.
    const ids = answers.map((a) => (a as { call_id: string }).call_id);
    expect(new Set(ids).size).toBe(3);
    expect([...handled].sort()).toEqual([...ids].sort());
    expect(answers[0]).toMatchObject({ success: true, output: '{"city":"Paris","celsius":21}' });
    expect((answers[0] as { turn_id: string }).turn_id).toMatch(/^turn_/);
    // Two requests per submission (the read that names the turn, then the events), counted in calls.
    expect(d.sim.stats().requests.byRoute['sessions.events.create']?.total).toBe(2);
    const byRoute = d.sim.stats().requests.byRoute;
    expect(last.calls).toBe(byRoute['sessions.retrieve']!.total + byRoute['sessions.turns.list']!.total + 2);
  });

  it('never answers an approval silently: without `approvals` the snapshot lists it and the turn waits', async () => {
    const d = await driven();
    const ref = await createSession(d, {
      phases: { in_progress: 1000 },
      toolCalls: [[{ name: 'delete_branch', type: 'mcp_approval', arguments: { branch: 'main' } }]],
    });
    const seen = watch(d, { job: ref, tools: { get_weather: () => 'sunny' }, maxWaitMs: 60_000 });
    await d.until(() => seen.done, 1000);
    const waiting = seen.snapshots.find((s) => s.state === 'requires_action')!;
    expect(waiting.missingHandlers).toEqual(['approval:mcp']);
    expect(waiting.pendingToolCalls?.[0]).toMatchObject({ name: 'approval:mcp' });
    expect(seen.snapshots.at(-1)).toMatchObject({ state: 'timed_out' });
    expect(answersOf(d.sim, ref)).toEqual([]);
    expect((await retrieveAgentSession(d.client, ref.sessionId)).status).toBe('requires_action');
  });

  it('sends the decisions of an `approvals` handler, once per request id, and ends completed', async () => {
    const d = await driven();
    const ref = await createSession(d, {
      phases: { in_progress: 1000 },
      toolCalls: [
        [
          { name: 'delete_branch', type: 'mcp_approval', arguments: { branch: 'main' } },
          { name: 'https://example.com', type: 'computer_use_approval' },
        ],
      ],
      outcome: 'completed',
    });
    const asked: string[] = [];
    const seen = watch(d, {
      job: ref,
      approvals: (approval) => {
        asked.push(`${approval.kind}:${approval.id}`);
        return approval.kind === 'mcp' ? 'deny' : 'approve';
      },
    });
    await d.until(() => seen.done, 200);
    expect(seen.snapshots.at(-1)).toMatchObject({ state: 'completed' });
    expect(asked).toHaveLength(2);
    expect(answersOf(d.sim, ref)).toEqual([
      expect.objectContaining({
        type: 'agent.session.input.mcp_approval_request_result',
        response: { type: 'mcp_tool_call', decision: 'deny' },
      }),
      expect.objectContaining({
        type: 'agent.session.input.computer_use_approval_request_result',
        response: { type: 'browser_origin_access', decision: 'approve' },
      }),
    ]);
  });

  it('ends failed when the turn fails, with the session error on the job', async () => {
    const d = await driven();
    const ref = await createSession(d, {
      phases: { in_progress: 1000 },
      outcome: 'failed',
      error: { message: 'boom' },
    });
    const seen = watch(d, { job: ref, source: poll() });
    await d.until(() => seen.done, 200);
    expect(seen.snapshots.at(-1)).toMatchObject({ state: 'failed', status: 'failed' });
    expect((seen.snapshots.at(-1)!.job as { error: string }).error).toBe('boom');
  });

  it('cancelOnAbort ends cancelled, as the turn reads (the session itself reads idle after a cancel)', async () => {
    const d = await driven();
    const ref = await createSession(d, { phases: { in_progress: 600_000 }, outcome: 'completed' });
    const controller = new AbortController();
    const seen = watch(d, { job: ref, signal: controller.signal, cancelOnAbort: true });
    await d.until(() => seen.snapshots.some((s) => s.state === 'in_progress'), 200);
    controller.abort();
    await d.until(() => seen.done, 200);
    const last = seen.snapshots.at(-1)!;
    expect(last).toMatchObject({ state: 'cancelled', status: 'cancelled', done: true });
    expect((last.job as AgentSession).status).toBe('idle');
    // The cancel event, the read after it and that read's turn, every read before: all counted.
    const byRoute = d.sim.stats().requests.byRoute;
    expect(last.calls).toBe(
      byRoute['sessions.retrieve']!.total +
        byRoute['sessions.events.create']!.total +
        byRoute['sessions.turns.list']!.total,
    );
    // What the server says, read through the SDK's own resources (openai 7; openai 6 has no `beta.agents`, so its
    // leg reads the same paths through the client's generic get), not through runstate.
    const beta = { headers: { 'OpenAI-Beta': 'agents=v1' } };
    const sdk: SdkAgents =
      OPENAI_MAJOR >= 7
        ? (d.client as unknown as SdkAgents)
        : {
            beta: {
              agents: {
                sessions: {
                  retrieve: (id) => d.client.get(`/agents/sessions/${id}`, beta),
                  turns: {
                    list: (id) => d.client.get(`/agents/sessions/${id}/turns`, beta),
                    retrieve: (id, { session_id }) =>
                      d.client.get(`/agents/sessions/${session_id}/turns/${id}`, beta),
                  },
                },
              },
            },
          };
    expect((await sdk.beta.agents.sessions.retrieve(ref.sessionId)).status).toBe('idle');
    const turns = await sdk.beta.agents.sessions.turns.list(ref.sessionId);
    expect(turns.data.map((t) => t.status)).toEqual(['cancelled']);
    const turn = await sdk.beta.agents.sessions.turns.retrieve(turns.data[0]!.id, {
      session_id: ref.sessionId,
    });
    expect(turn).toMatchObject({
      object: 'agent.session.turn',
      status: 'cancelled',
      session_id: ref.sessionId,
    });
  });

  it('a watch of an idle session reports how its latest turn ended, not `completed` for any idle', async () => {
    const d = await driven();
    const ref = await createSession(d, { phases: { in_progress: 1000 }, outcome: 'completed' });
    await d.client.post(`/agents/sessions/${ref.sessionId}/events`, {
      body: { events: [{ type: 'agent.session.input.cancel' }] },
      headers: { 'OpenAI-Beta': 'agents=v1' },
    });
    const seen = watch(d, { job: ref });
    await d.until(() => seen.done, 200);
    expect(seen.snapshots.at(-1)).toMatchObject({ state: 'cancelled', status: 'cancelled' });
    expect(answersOf(d.sim, ref)).toEqual([]);
  });

  it('a watch of a session that never had a turn waits for one instead of ending at once', async () => {
    const d = await driven();
    const session = await createAgentSession(d.client, {
      environment: { type: 'none' },
      metadata: scenarioMeta({ phases: { in_progress: 1000 }, outcome: 'completed' }),
    });
    const ref: AgentSessionRef = { kind: 'agent.session', sessionId: session.id };
    const seen = watch(d, { job: ref, maxWaitMs: 10_000 });
    await d.until(() => seen.snapshots.length > 0 || seen.done, 200);
    await d.client.post(`/agents/sessions/${ref.sessionId}/events`, {
      body: { events: [{ type: 'agent.session.input.message', input: [{ role: 'user', content: [] }] }] },
      headers: { 'OpenAI-Beta': 'agents=v1' },
    });
    await d.until(() => seen.done, 200);
    expect(seen.snapshots.at(-1)).toMatchObject({ state: 'completed', status: 'completed' });
  });
});

describe('watchRun of an agent.session with stream()', () => {
  it('follows sessions.events.stream: answers each call once, ends as the turn ended, reads once per connection', async () => {
    const d = await driven();
    const ref = await createSession(d, ROUND);
    const handled: string[] = [];
    const seen = watch(d, {
      job: ref,
      source: stream(),
      tools: {
        get_weather: (_args, call) => {
          handled.push(call.id);
          return 'sunny';
        },
        get_time: (_args, call) => {
          handled.push(call.id);
          return '14:05';
        },
      },
    });
    await d.until(() => seen.done, 100);
    const last = seen.snapshots.at(-1)!;
    expect(seen.error).toBeUndefined();
    expect(last).toMatchObject({ state: 'completed', status: 'completed', source: 'stream' });
    expect(
      seen.snapshots.filter((s) => s.state === 'requires_action').every((s) => s.source === 'stream'),
    ).toBe(true);
    const answers = answersOf(d.sim, ref);
    expect(answers).toHaveLength(3);
    expect(new Set(handled).size).toBe(3);
    const byRoute = d.sim.stats().requests.byRoute;
    // One connection, its one catch-up read; the rest came on the stream (the submissions' own reads aside).
    expect(byRoute['sessions.events.stream']?.total).toBe(1);
    expect(byRoute['sessions.retrieve']?.total).toBe(1 + 2);
    expect(last.calls).toBe(
      byRoute['sessions.retrieve']!.total + byRoute['sessions.events.stream']!.total + answers.length - 1,
    );
  });

  it('after a drop mid-stream reconnects and reads the session, losing no round and answering none twice', async () => {
    const d = await driven();
    d.sim.setFaults({ stream: { next: 2, dropAfter: 3, routes: ['sessions.events.stream'] } });
    const ref = await createSession(d, ROUND);
    const handled: string[] = [];
    const seen = watch(d, {
      job: ref,
      source: stream(),
      tools: {
        get_weather: (_args, call) => {
          handled.push(call.id);
          return 'sunny';
        },
        get_time: (_args, call) => {
          handled.push(call.id);
          return '14:05';
        },
      },
    });
    await d.until(() => seen.done, 100);
    expect(seen.error).toBeUndefined();
    expect(seen.snapshots.at(-1)).toMatchObject({ state: 'completed', status: 'completed' });
    // Each drop is followed by one connection, unless the read after it already saw the turn end; how many of the
    // two scripted drops happen depends on whether the turn ends before the second connection's third event.
    const { streamsDropped, requests } = d.sim.stats();
    const connections = requests.byRoute['sessions.events.stream']!.total;
    expect(streamsDropped).toBeGreaterThanOrEqual(1);
    expect(connections).toBeGreaterThanOrEqual(streamsDropped);
    expect(connections).toBeLessThanOrEqual(streamsDropped + 1);
    expect(handled).toHaveLength(3);
    const ids = answersOf(d.sim, ref).map((a) => (a as { call_id: string }).call_id);
    expect(new Set(ids).size).toBe(3);
    expect([...handled].sort()).toEqual([...ids].sort());
    expect(seen.snapshots.some((s) => /cannot resume/.test(s.note ?? ''))).toBe(true);
  });

  it('reports a cancelled turn as cancelled from the stream (turn.cancelled, then idle)', async () => {
    const d = await driven();
    const ref = await createSession(d, { phases: { in_progress: 600_000 }, outcome: 'completed' });
    const seen = watch(d, { job: ref, source: stream() });
    await d.until(() => seen.snapshots.some((s) => s.state === 'in_progress'), 100);
    await d.client.post(`/agents/sessions/${ref.sessionId}/events`, {
      body: { events: [{ type: 'agent.session.input.cancel' }] },
      headers: { 'OpenAI-Beta': 'agents=v1' },
    });
    await d.until(() => seen.done, 100);
    expect(seen.snapshots.at(-1)).toMatchObject({
      state: 'cancelled',
      status: 'cancelled',
      source: 'stream',
    });
  });

  // openai 6 has no `beta.agents`: the stream source itself reads the same endpoint through the generic client.
  it.skipIf(OPENAI_MAJOR < 7)(
    'streams what the SDK reads: sessions.events.stream yields the turn and session events in order',
    async () => {
      const d = await driven();
      const ref = await createSession(d, { phases: { in_progress: 1000 }, outcome: 'completed' });
      const sdk = d.client as unknown as {
        beta: {
          agents: { sessions: { events: { stream(id: string): Promise<AsyncIterable<{ type: string }>> } } };
        };
      };
      await d.sim.clock.advance(500);
      const types: string[] = [];
      const reading = (async () => {
        for await (const e of await sdk.beta.agents.sessions.events.stream(ref.sessionId)) types.push(e.type);
      })();
      await d.until(() => types.includes('agent.session.idle'), 100);
      await reading;
      // Live: the connection opened after the turn began, so it starts with what happens from then on.
      expect(types).toEqual(['agent.session.turn.completed', 'agent.session.idle']);
    },
  );
});

describe('watchRun of an agent.session over webhooks', () => {
  async function world(): Promise<{ sim: Simulator; hub: WebhookHub; client: ReturnType<typeof simClient> }> {
    const secret = makeWebhookSecret();
    const hub = createWebhookHub({ secret });
    const server = await listenHub(hub);
    closers.push(server.close);
    const sim = await startSimulator({
      clock: { speed: 50 },
      seed: 5,
      webhooks: { url: server.url, secret },
    });
    sims.push(sim);
    return { sim, hub, client: simClient(sim) };
  }

  it.each([
    ['webhookSource', (hub: WebhookHub) => webhookSource(hub)],
    ['hybrid', (hub: WebhookHub) => hybrid(hub)],
  ])(
    '%s: follows the signed agent.session.* events, answers the call, ends completed',
    async (_name, source) => {
      const { sim, hub, client } = await world();
      const types: string[] = [];
      hub.events$.subscribe((e) => types.push(e.type));
      const ref = await createSession(
        { client },
        { phases: { in_progress: 1500 }, toolCalls: [[{ name: 'get_weather' }]], outcome: 'completed' },
      );
      const snapshots = await lastValueFrom(
        watchRun({
          client,
          job: ref,
          source: source(hub),
          scheduler: simScheduler(sim.clock),
          tools: { get_weather: () => 'sunny' },
          maxWaitMs: 120_000,
        }).pipe(toArray()),
      );
      expect(snapshots.at(-1)).toMatchObject({ state: 'completed', status: 'completed' });
      expect(snapshots.some((s) => s.source === 'webhook')).toBe(true);
      expect(answersOf(sim, ref)).toHaveLength(1);
      // The turn's last webhook may land after a poll saw the end: wait for it (2 s at most).
      for (let i = 0; i < 100 && !types.includes('agent.session.idle'); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(types).toEqual(
        expect.arrayContaining([
          'agent.session.action_required',
          'agent.session.in_progress',
          'agent.session.idle',
        ]),
      );
      expect(hub.stats().ignored).toBe(0);
    },
  );
});
