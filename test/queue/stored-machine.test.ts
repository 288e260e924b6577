import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { stepMachine } from '../../src/queue/step/step-machine.js';
import { isSlimMachine, restoreMachine, slimMachine } from '../../src/queue/stored-machine.js';
import { parseWatchData } from '../../src/queue/watch-data.js';
import type { PersistedWatch } from '../../src/watch/watch-run.js';

const ID = 'resp_eb3e5b3f677fa5f3ab5dfe12c0ddcdb27c11ec4ed50cddca';
const job = { kind: 'response' as const, id: ID };

// A job's data as a worker stored it before the slim form (copied from Redis after one step): XState's whole
// persisted snapshot, which repeats the job id five times and the source actor's input.
const OLD = `{"v":1,"job":{"kind":"response","id":"${ID}"},"startedAt":1796567085495,"maxWaitMs":3600000,"poll":{"attempt":0,"state":"queued"},"calls":1,"failures":0,"dueAt":1796567686108,"machine":{"status":"active","value":{"watching":"queued"},"historyValue":{},"context":{"job":{"kind":"response","id":"${ID}"},"kind":"response","jobId":"${ID}","state":"queued","status":"queued","latest":{"runstate:slim":true,"id":"${ID}","object":"response","status":"queued","created_at":1796567085},"source":"poll","at":1796567086107,"startedAt":1796567085495,"deadlineAt":1796570685495,"expiresAt":null,"checkedExpiry":null,"expiryUnconfirmed":false,"toolNames":[],"pendingToolCalls":[],"missingHandlers":[],"answered":[],"outputs":[]},"children":{"source":{"snapshot":{"status":"active","input":{"job":{"kind":"response","id":"${ID}"}}},"src":"source","syncSnapshot":false}}}}`;

const old = parseWatchData(JSON.parse(OLD), 'w1');
const whole = old.machine as PersistedWatch;
const watch = { job, startedAt: old.startedAt, maxWaitMs: old.maxWaitMs };

// Waiting for its tool outputs to be submitted: a parked request actor whose input must survive a restore.
const submitting = {
  status: 'active',
  value: { watching: { requires_action: 'submitting' } },
  historyValue: {},
  context: {
    ...(whole as unknown as { context: Record<string, unknown> }).context,
    state: 'requires_action',
    status: 'requires_action',
    toolNames: ['get_weather'],
    pendingToolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{}' }],
    outputs: [{ tool_call_id: 'call_1', output: 'sunny' }],
    expiresAt: 1796567999000,
  },
  children: {
    submitOutputs: {
      snapshot: { status: 'active', input: { outputs: [{ tool_call_id: 'call_1', output: 'sunny' }] } },
      src: 'submitOutputs',
      syncSnapshot: false,
    },
    confirmExpiry: {
      snapshot: { status: 'active', input: { job, expiresAt: 1796567999000 } },
      src: 'confirmExpiry',
      syncSnapshot: false,
    },
  },
} as unknown as PersistedWatch;

describe('the stored machine snapshot', () => {
  it('stores only what the data does not say: the job id once (in the data), no child input repeating the job', () => {
    const slim = slimMachine(whole, watch);
    expect(isSlimMachine(slim)).toBe(true);
    expect(JSON.stringify(slim).split(ID).length - 1).toBe(1); // the slim latest object's own id
    expect((slim as unknown as { children: object }).children).toEqual({ source: 'active' });
    expect(JSON.stringify(slim).length).toBeLessThan(JSON.stringify(whole).length / 2);
    expect(slim).toMatchObject({ context: { status: 'queued', source: 'poll', at: 1796567086107 } });
    expect((slim as { context: object }).context).not.toHaveProperty('deadlineAt');
  });

  it('restores exactly what it stored, through JSON, at rest and with request actors in flight', () => {
    for (const persisted of [whole, submitting]) {
      const stored = JSON.parse(JSON.stringify(slimMachine(persisted, watch)));
      expect(restoreMachine(stored, watch)).toEqual(persisted);
    }
  });

  it('slims what an actor persists (fields XState sets to undefined included) and restores it', () => {
    const actor = createActor(stepMachine, {
      input: { ...watch, kind: 'response', jobId: ID, toolNames: [] },
      clock: { setTimeout: () => 0, clearTimeout: () => {} },
    });
    actor.start();
    const persisted = actor.getPersistedSnapshot() as PersistedWatch;
    actor.stop();
    const slim = slimMachine(persisted, watch);
    expect((slim as unknown as { children: object }).children).toEqual({ source: 'active' });
    expect(restoreMachine(JSON.parse(JSON.stringify(slim)), watch)).toEqual(persisted);
  });

  it('reads a snapshot stored whole by an earlier worker as it is, and a restored actor carries on from it', () => {
    expect(restoreMachine(old.machine!, watch)).toBe(old.machine);
    for (const stored of [old.machine!, slimMachine(whole, watch)]) {
      const actor = createActor(stepMachine, {
        input: { ...watch, kind: 'response', jobId: ID, toolNames: [] },
        snapshot: restoreMachine(stored, watch),
        clock: { setTimeout: () => 0, clearTimeout: () => {} },
      });
      actor.start();
      expect(actor.getSnapshot().value).toEqual({ watching: 'queued' });
      actor.send({ type: 'tick', at: watch.startedAt + watch.maxWaitMs });
      // Past the deadline from the restored context: the deadline came back from startedAt + maxWaitMs.
      expect(actor.getSnapshot().context).toMatchObject({ state: 'timed_out', jobId: ID, job });
      actor.stop();
    }
  });

  it('keeps the whole snapshot when a field would not survive JSON, or a child has a shape it does not know', () => {
    const context = (whole as unknown as { context: Record<string, unknown> }).context;
    const lost = { ...whole, context: { ...context, at: undefined } } as unknown as PersistedWatch;
    expect(slimMachine(lost, watch)).toBe(lost);
    const odd = {
      ...whole,
      children: { source: { snapshot: {}, src: 'source' } },
    } as unknown as PersistedWatch;
    expect(slimMachine(odd, watch)).toBe(odd);
  });
});
