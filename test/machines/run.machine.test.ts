import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AnyStateNode, createActor, fromEventObservable, fromPromise } from 'xstate';
import { adjacencyMapToArray, getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { type RunMachineEvent, runMachine } from '../../machines/run.machine.js';
import type { JobState, StatusEvent, ToolCall } from '../../src/model/types.js';
import { runMachineInput as input } from '../helpers/run-machine-input.js';

function observed(state: JobState | undefined, extra: Partial<StatusEvent> = {}): StatusEvent {
  return {
    type: 'status',
    state,
    status: state ?? 'mystery_status',
    job: { id: 'run_1' },
    at: 2_000,
    source: 'poll',
    expiresAt: 30_000,
    toolCalls: [],
    ...extra,
  };
}

const call = (id: string, name = 'get_weather'): ToolCall => ({ id, name, arguments: '{"city":"Paris"}' });
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired', 'incomplete'] as const;
const ACTIVE_WITH_EXPIRY = ['queued', 'in_progress', 'requires_action', 'cancelling'] as const;

// Time and actor results arrive as events, so the whole lifecycle is a finite graph.
const events = [
  ...(['queued', 'in_progress', 'cancelling', ...TERMINAL] as const).map((s) => observed(s)),
  observed(undefined),
  observed('requires_action', { toolCalls: [call('call_1')] }),
  observed('requires_action', { toolCalls: [call('call_2')] }),
  observed('requires_action', { toolCalls: [call('call_3', 'unknown_tool')] }),
  observed('queued', { at: 500 }),
  { type: 'abort', cancel: true },
  { type: 'abort', cancel: false },
  { type: 'xstate.after.maxWait.run.watching' },
  // Time as data: past the expiry (30 000) but before the deadline (61 000), then past both.
  { type: 'tick', at: 35_000 },
  { type: 'tick', at: 70_000 },
  ...ACTIVE_WITH_EXPIRY.map((s) => ({ type: `xstate.after.untilExpiry.run.watching.${s}` })),
  { type: 'xstate.done.actor.runTools', output: [{ tool_call_id: 'call_1', output: 'sunny' }] },
  { type: 'xstate.done.actor.submitOutputs', output: observed('queued') },
  ...[...TERMINAL, 'queued', 'in_progress', 'requires_action', 'cancelling', undefined].map((s) => ({
    type: 'xstate.done.actor.confirmExpiry',
    output: observed(s as JobState | undefined, { at: 40_000 }),
  })),
  // The server stayed unreachable through the expiry check's grace period.
  {
    type: 'xstate.error.actor.confirmExpiry',
    error: Object.assign(new Error('unreachable'), { code: 'retries_exhausted' }),
  },
  { type: 'xstate.done.actor.cancelJob', output: observed('cancelling', { at: 3_000 }) },
  ...['source', 'runTools', 'submitOutputs', 'confirmExpiry', 'cancelJob'].map((id) => ({
    type: `xstate.error.actor.${id}`,
    error: new Error(`${id} failed`),
  })),
] as unknown as RunMachineEvent[];

type Snap = ReturnType<typeof runMachine.transition>;
const serializeState = (s: Snap) =>
  JSON.stringify([
    s.value,
    s.context.state,
    s.context.expiresAt !== null,
    s.context.answered,
    s.context.pendingToolCalls.map((c) => c.id),
  ]);
const traversal = { input, events, serializeState, stopWhen: (s: Snap) => s.status === 'done', limit: 5_000 };

function allStateNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((c) => allStateNodes(c as AnyStateNode))];
}

// A transient (`always`) state never rests in a snapshot: it is reached when one of its targets is.
function restingIds(node: AnyStateNode): string[] {
  if (node.always?.length) return node.always.flatMap((t) => (t.target ?? []).map((x) => x.id));
  return [node.id];
}

function activeIds(s: Snap): Set<string> {
  return new Set(s._nodes.map((n) => n.id));
}

describe('run machine: model', () => {
  it('reaches every state of the machine', () => {
    const paths = getShortestPaths(runMachine, traversal);
    const reached = new Set(paths.flatMap((p) => [...activeIds(p.state)]));
    const nodes = allStateNodes(runMachine.root);
    expect(nodes.filter((n) => !restingIds(n).some((id) => reached.has(id))).map((n) => n.id)).toEqual([]);
    const all = nodes.map((n) => n.id);
    expect(all.length).toBeGreaterThan(15);
  });

  it('takes every transition of the machine', () => {
    const edges = adjacencyMapToArray(getAdjacencyMap(runMachine as never, traversal as never)).map((e) => ({
      from: e.state as Snap,
      event: e.event as RunMachineEvent,
      to: e.nextState as Snap,
    }));
    const missing: string[] = [];
    for (const node of allStateNodes(runMachine.root)) {
      const defs = [...node.transitions.entries()].flatMap(([type, ts]) => ts.map((t) => ({ type, t })));
      for (const { type, t } of defs) {
        const targets = (t.target ?? []).map((x) => x.id);
        const taken = edges.some(
          (e) =>
            e.event.type === type &&
            activeIds(e.from).has(node.id) &&
            (t.target ?? []).every((x) => restingIds(x).some((id) => activeIds(e.to).has(id))) &&
            // The guard let this very transition fire: the same target set and no earlier candidate won.
            (targets.length > 0 || serializeState(e.from) === serializeState(e.to)),
        );
        if (!taken) missing.push(`${node.id} --${type}--> ${targets.join(',') || '(self)'}`);
      }
    }
    expect(missing).toEqual([]);
  });

  // XState copies the context on every assign (Object.assign({}, context, update)). V8 keeps that copy fast only
  // when the context has fast properties: built with at most 19 keys (XState assigns the first context onto {})
  // and never given a new one. Past that, each poll answer cost about 4 µs more (docs/benchmarks.md, CPU per
  // retrieve).
  it('never adds a context key after the start (but `fault`), and starts with at most 19', () => {
    const initial = Object.keys(createActor(runMachine, { input }).getSnapshot().context);
    expect(initial.length).toBeLessThanOrEqual(19);
    for (const path of Object.values(getShortestPaths(runMachine, traversal))) {
      const extra = Object.keys(path.state.context).filter((k) => !initial.includes(k) && k !== 'fault');
      expect(extra, `keys added on the way to ${JSON.stringify(path.state.value)}`).toEqual([]);
    }
  });

  it('never leaves a terminal state and every path ends done', () => {
    const paths = getShortestPaths(runMachine, traversal);
    for (const path of paths) {
      const steps = path.steps.map((s) => s.state);
      const firstDone = steps.findIndex((s) => s.status === 'done');
      if (firstDone >= 0) expect(firstDone).toBe(steps.length - 1);
    }
    const finals = paths.filter((p) => p.state.status === 'done').map((p) => p.state.value);
    expect(new Set(finals)).toEqual(
      new Set([...TERMINAL, 'timed_out', 'stopped', 'faulted', 'stopping'].filter((s) => s !== 'stopping')),
    );
  });
});

/** A machine whose actors are plain functions: runs in memory, no I/O, driven by sent events. */
function inMemoryMachine(
  submissions: string[][] = [],
  overrides: { submit?: () => Promise<StatusEvent> } = {},
) {
  return runMachine.provide({
    actors: {
      source: fromEventObservable(() => ({ subscribe: () => ({ unsubscribe() {} }) }) as never),
      runTools: fromPromise(async ({ input }) =>
        input.calls.map((c) => ({ tool_call_id: c.id, output: 'ok' })),
      ),
      submitOutputs: fromPromise(async ({ input }) => {
        submissions.push(input.outputs.map((o) => o.tool_call_id));
        return overrides.submit ? overrides.submit() : observed('queued');
      }),
      confirmExpiry: fromPromise(async () => observed('expired', { at: 40_000 })),
      cancelJob: fromPromise(async () => observed('cancelling')),
    },
  });
}

function inMemory(overrides: { submit?: () => Promise<StatusEvent> } = {}) {
  const submissions: string[][] = [];
  const machine = inMemoryMachine(submissions, overrides);
  const actor = createActor(machine, { input }).start();
  return { actor, submissions };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('run machine: rules', () => {
  it('ignores an observation older than the last applied one, and one that goes back in the lifecycle', () => {
    const { actor } = inMemory();
    actor.send(observed('in_progress', { at: 5_000 }));
    actor.send(observed('queued', { at: 6_000 }));
    expect(actor.getSnapshot().context.state).toBe('in_progress');
    actor.send(observed('requires_action', { at: 4_000, toolCalls: [call('c')] }));
    expect(actor.getSnapshot().context.state).toBe('in_progress');
    actor.stop();
  });

  it('takes a terminal status even when its coarse webhook time looks older', () => {
    const { actor } = inMemory();
    actor.send(observed('in_progress', { at: 10_500 }));
    actor.send(observed('completed', { at: 10_000, source: 'webhook' }));
    expect(actor.getSnapshot().value).toBe('completed');
    actor.send(observed('in_progress', { at: 20_000 }));
    expect(actor.getSnapshot().value).toBe('completed');
  });

  it('submits each round of tool calls once, however often polls still read requires_action', async () => {
    let release: (v: StatusEvent) => void = () => {};
    const { actor, submissions } = inMemory({ submit: () => new Promise((r) => (release = r)) });
    const round = observed('requires_action', { at: 3_000, toolCalls: [call('a'), call('b')] });
    actor.send(round);
    await settle();
    expect(actor.getSnapshot().matches({ watching: { requires_action: 'submitting' } })).toBe(true);
    actor.send({ ...round, at: 3_500 });
    actor.send({ ...round, at: 3_900 });
    release(observed('queued', { at: 4_000 }));
    await settle();
    actor.send({ ...round, at: 4_500 });
    await settle();
    expect(submissions).toEqual([['a', 'b']]);
    actor.send(observed('requires_action', { at: 6_000, toolCalls: [call('c')] }));
    await settle();
    expect(submissions).toEqual([['a', 'b'], ['c']]);
    actor.stop();
  });

  it('leaves a run whose tool has no handler to the user, and says which tool', () => {
    const { actor, submissions } = inMemory();
    actor.send(observed('requires_action', { at: 3_000, toolCalls: [call('x', 'delete_everything')] }));
    const s = actor.getSnapshot();
    expect(s.matches({ watching: { requires_action: 'blocked' } })).toBe(true);
    expect(s.context.missingHandlers).toEqual(['delete_everything']);
    expect(s.context.pendingToolCalls.map((c) => c.id)).toEqual(['x']);
    expect(submissions).toEqual([]);
    actor.stop();
  });

  it('keeps an unknown status verbatim without changing state', () => {
    const { actor } = inMemory();
    actor.send(observed('in_progress', { at: 3_000 }));
    actor.send(observed(undefined, { at: 4_000, status: 'thinking_hard' }));
    const s = actor.getSnapshot();
    expect(s.context.state).toBe('in_progress');
    expect(s.context.status).toBe('thinking_hard');
    actor.stop();
  });

  it('keeps deadlines as absolute times in context, so a restored snapshot still knows them', () => {
    const { actor } = inMemory();
    actor.send(
      observed('requires_action', { at: 3_000, expiresAt: 600_000, toolCalls: [call('z', 'nope')] }),
    );
    const persisted = actor.getPersistedSnapshot() as unknown as {
      context: { deadlineAt: number; expiresAt: number };
    };
    expect(persisted.context.deadlineAt).toBe(61_000);
    expect(persisted.context.expiresAt).toBe(600_000);
    actor.stop();
  });
});

describe('run machine: the expiry check', () => {
  const withCheck = (check: () => Promise<StatusEvent>) =>
    createActor(
      runMachine.provide({
        actors: {
          source: fromEventObservable(() => ({ subscribe: () => ({ unsubscribe() {} }) }) as never),
          confirmExpiry: fromPromise(check),
        },
      }),
      { input },
    ).start();

  it('believes a server that says the job still runs after expires_at: keeps watching, checks no more', async () => {
    let checks = 0;
    const actor = withCheck(async () => {
      checks++;
      return observed('in_progress', { at: 31_000 });
    });
    actor.send(observed('in_progress', { expiresAt: 30_000 }));
    actor.send({ type: 'tick', at: 30_000 });
    await settle();
    expect(actor.getSnapshot().matches({ watching: 'in_progress' })).toBe(true);
    expect(actor.getSnapshot().context.checkedExpiry).toBe(30_000);
    actor.send({ type: 'tick', at: 40_000 });
    await settle();
    expect(checks).toBe(1);
    expect(actor.getSnapshot().status).toBe('active');
    actor.stop();
  });

  it('declares expired, marked unconfirmed, only when the check ran out with the server unreachable', async () => {
    const unreachable = withCheck(async () => {
      throw Object.assign(new Error('unreachable'), { code: 'retries_exhausted' });
    });
    unreachable.send(observed('in_progress', { expiresAt: 30_000 }));
    unreachable.send({ type: 'tick', at: 30_000 });
    await settle();
    expect(unreachable.getSnapshot().value).toBe('expired');
    expect(unreachable.getSnapshot().context.expiryUnconfirmed).toBe(true);

    const refused = withCheck(async () => {
      throw Object.assign(new Error('gone'), { code: 'not_found' });
    });
    refused.send(observed('in_progress', { expiresAt: 30_000 }));
    refused.send({ type: 'tick', at: 30_000 });
    await settle();
    expect(refused.getSnapshot().value).toBe('faulted');
  });
});

describe('run machine: time as data (restore-safe)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The outcome of a watch left to its timers, and of the same watch persisted, restored and sent one tick. */
  async function bothWays(observation: StatusEvent, tickAt: number) {
    vi.useFakeTimers();
    const straight = inMemory();
    straight.actor.send(observation);
    await vi.advanceTimersByTimeAsync(200_000);
    const a = straight.actor.getSnapshot();

    const before = inMemory();
    before.actor.send(observation);
    const persisted = before.actor.getPersistedSnapshot();
    before.actor.stop();
    const restored = createActor(inMemoryMachine(), {
      snapshot: persisted,
      input,
    }).start();
    // XState does not re-arm `after` timers on restore: without a tick the restored watch would wait forever.
    await vi.advanceTimersByTimeAsync(200_000);
    const waiting = restored.getSnapshot().status;
    restored.send({ type: 'tick', at: tickAt });
    await vi.advanceTimersByTimeAsync(0);
    const b = restored.getSnapshot();
    return { straight: a, restored: b, waiting };
  }

  for (const state of ['queued', 'in_progress', 'cancelling', 'requires_action'] as const) {
    const extra = state === 'requires_action' ? { toolCalls: [call('x', 'no_handler')] } : {};
    it(`restored in ${state}: a tick past expires_at confirms expiry like the timer did`, async () => {
      const { straight, restored, waiting } = await bothWays(observed(state, extra), 30_000);
      expect(waiting).toBe('active');
      expect(restored.value).toBe('expired');
      // The initial queued state armed its expiry timer before expires_at was known, so the timer-only watch
      // misses it and times out; the tick, which reads the deadline from context, does not.
      if (state === 'queued') expect(straight.value).toBe('timed_out');
      else expect(restored.context).toEqual(straight.context);
    });

    it(`restored in ${state}: a tick past the deadline times out like the timer did`, async () => {
      const { straight, restored } = await bothWays(observed(state, { ...extra, expiresAt: null }), 61_000);
      expect(straight.value).toBe('timed_out');
      expect(restored.value).toBe('timed_out');
      expect(restored.context).toEqual(straight.context);
    });
  }

  it('answers a round seen before expires_at even when it arrives while the expiry is being checked', async () => {
    const { actor, submissions } = inMemory();
    actor.send(observed('requires_action', { toolCalls: [call('call_1')] }));
    await settle();
    expect(actor.getSnapshot().matches({ watching: { requires_action: 'submitted' } })).toBe(true);
    // The expiry (30 000) passes: the check starts, the state still reads requires_action from round 1.
    actor.send({ type: 'tick', at: 35_000 });
    expect(actor.getSnapshot().matches({ watching: 'confirming_expiry' })).toBe(true);
    // A poll that saw round 2 before the expiry lands now. The same-state rule used to record it and drop its
    // calls: the check then read `expired`, and the watch ended without answering a round it had seen.
    actor.send(observed('requires_action', { at: 29_000, toolCalls: [call('call_2')] }));
    await settle();
    expect(submissions).toEqual([['call_1'], ['call_2']]);
    // A round seen at or after expires_at is left to the check: the server decides that one.
    actor.send({ type: 'tick', at: 36_000 });
    actor.send(observed('requires_action', { at: 31_000, toolCalls: [call('call_3')] }));
    await settle();
    expect(submissions).toEqual([['call_1'], ['call_2']]);
    actor.stop();
  });

  it('lets an earlier expiry win over a later deadline, and a later expiry lose to it', () => {
    const { actor } = inMemory();
    actor.send(observed('in_progress', { expiresAt: 90_000 }));
    actor.send({ type: 'tick', at: 100_000 });
    expect(actor.getSnapshot().value).toBe('timed_out');
    expect(actor.getSnapshot().context.at).toBe(61_000);

    const early = inMemory();
    early.actor.send(observed('in_progress', { expiresAt: 50_000 }));
    early.actor.send({ type: 'tick', at: 49_999 });
    expect(early.actor.getSnapshot().matches({ watching: 'in_progress' })).toBe(true);
    early.actor.send({ type: 'tick', at: 100_000 });
    expect(early.actor.getSnapshot().matches({ watching: 'confirming_expiry' })).toBe(true);
    early.actor.stop();
  });
});
