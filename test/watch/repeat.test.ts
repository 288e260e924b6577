import { describe, expect, it } from 'vitest';
import { transition } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { type RunMachineEvent, runMachine } from '../../machines/run.machine.js';
import { sameJson } from '../../src/internal/same-json.js';
import type { JobState, StatusEvent } from '../../src/model/types.js';
import { repeatsLatest } from '../../src/watch/repeat.js';
import { runMachineInput as input } from '../helpers/run-machine-input.js';

function observed(state: JobState, extra: Partial<StatusEvent> = {}): StatusEvent {
  return {
    type: 'status',
    state,
    status: state,
    job: { id: 'run_1', status: state, usage: null, metadata: { step: [1, { a: 'b' }] } },
    at: 2_000,
    source: 'poll',
    expiresAt: 30_000,
    toolCalls: [],
    ...extra,
  };
}

const call = { id: 'call_1', name: 'get_weather', arguments: '{}' };
const events = [
  ...(['queued', 'in_progress', 'cancelling', 'completed'] as const).map((s) => observed(s)),
  observed('requires_action', { toolCalls: [call] }),
  observed('requires_action', { toolCalls: [{ ...call, id: 'call_2', name: 'no_handler' }] }),
  { type: 'tick', at: 35_000 },
  { type: 'xstate.done.actor.runTools', output: [{ tool_call_id: 'call_1', output: 'sunny' }] },
  { type: 'xstate.done.actor.submitOutputs', output: observed('in_progress', { at: 3_000 }) },
  { type: 'xstate.done.actor.confirmExpiry', output: observed('in_progress', { at: 40_000 }) },
  { type: 'abort', cancel: true },
] as unknown as RunMachineEvent[];

type Snap = ReturnType<typeof runMachine.transition>;
const serializeState = (s: Snap) =>
  JSON.stringify([s.value, s.context.state, s.context.status, s.context.at]);
const reached = Object.values(
  getShortestPaths(runMachine, {
    input,
    events,
    serializeState,
    stopWhen: (s) => s.status === 'done',
    limit: 2_000,
  }),
).map((p) => p.state as Snap);

/** The same read again, later: a new object equal key for key. */
function again(s: Snap, extra: Partial<StatusEvent> = {}): StatusEvent {
  const c = s.context;
  return {
    type: 'status',
    state: c.state as JobState,
    status: c.status ?? 'unseen',
    job: structuredClone(c.latest),
    at: c.at + 1_000,
    source: c.source ?? 'poll',
    expiresAt: c.expiresAt,
    ...(c.sourceNote === undefined ? {} : { note: c.sourceNote }),
    toolCalls: [],
    ...extra,
  };
}

const without = (context: Snap['context']) => ({ ...context, at: 0, latest: 0 });

describe('repeatsLatest: a repeated read the watch leaves out of the machine', () => {
  it('is one the machine would only record: the same state, and nothing but `at` and `latest` changed', () => {
    const recognized = new Set<string>();
    let checked = 0;
    for (const s of reached) {
      const latest = s.context.latest as Record<string, unknown> | undefined;
      const candidates = [
        again(s),
        again(s, { at: s.context.at - 1 }),
        again(s, { source: 'webhook' }),
        again(s, { note: 'a note' }),
        again(s, { status: 'another_status' }),
        again(s, { expiresAt: null }),
        again(s, { job: { ...latest, metadata: { step: [2] } } }),
        again(s, { job: { ...latest, extra: true } }),
        again(s, { state: 'in_progress', status: 'in_progress' }),
        again(s, { toolCalls: [call] }),
      ];
      for (const event of candidates) {
        checked++;
        if (!repeatsLatest(s, event)) continue;
        recognized.add(JSON.stringify(s.value));
        const [next] = transition(runMachine, s, event);
        expect(next.value).toEqual(s.value);
        expect(without(next.context)).toEqual(without(s.context));
        expect(sameJson(next.context.latest, s.context.latest)).toBe(true);
        expect(next.context.at).toBe(event.at);
      }
    }
    expect(checked).toBeGreaterThan(100);
    // Only the resting states, each met with a read applied (the first one is never a repeat: nothing is latest).
    expect([...recognized].sort()).toEqual(
      ['{"watching":"cancelling"}', '{"watching":"in_progress"}', '{"watching":"queued"}'].sort(),
    );
  });

  it('is no repeat when anything a subscriber or the machine reads differs', () => {
    const inProgress = reached.find(
      (s) => JSON.stringify(s.value) === '{"watching":"in_progress"}' && s.context.latest !== undefined,
    )!;
    expect(repeatsLatest(inProgress, again(inProgress))).toBe(true);
    const latest = inProgress.context.latest as Record<string, unknown>;
    expect(repeatsLatest(inProgress, again(inProgress, { at: inProgress.context.at - 1 }))).toBe(false);
    expect(
      repeatsLatest(inProgress, again(inProgress, { job: { ...latest, metadata: { step: [1, {}] } } })),
    ).toBe(false);
    expect(repeatsLatest(inProgress, again(inProgress, { source: 'stream' }))).toBe(false);
    expect(repeatsLatest(inProgress, again(inProgress, { state: 'completed', status: 'completed' }))).toBe(
      false,
    );
    expect(repeatsLatest(inProgress, again(inProgress, { state: undefined }))).toBe(false);
    const acting = reached.find((s) => s.context.state === 'requires_action' && s.status === 'active')!;
    expect(repeatsLatest(acting, again(acting))).toBe(false);
    const first = reached.find((s) => s.context.latest === undefined)!;
    expect(repeatsLatest(first, again(first))).toBe(false);
  });
});

describe('sameJson', () => {
  it('compares parsed JSON key for key, in any key order, ignoring what is not enumerable', () => {
    expect(sameJson({ a: [1, { b: null }], c: 'x' }, { c: 'x', a: [1, { b: null }] })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson([], {})).toBe(false);
    expect(sameJson({ a: null }, { a: {} })).toBe(false);
    expect(sameJson(1, '1')).toBe(false);
    const tagged = Object.defineProperty({ id: 'r' }, '_request_id', { value: 'req_1', enumerable: false });
    expect(sameJson(tagged, { id: 'r' })).toBe(true);
  });
});
