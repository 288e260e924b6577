import { createWebSocketInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import { lastValueFrom, toArray, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { ConfigurationError, type ReplayRunOptions, type RunSnapshot, replayRun } from '../../src/index.js';
import type { ScriptedStatus } from '../../src/watch/replay-run.js';
import { hasMachine, snapshotStatus, startInspectorBridge, stateValue, until } from '../helpers/inspector.js';

/** Replays on a virtual clock (no promises on the status path: the whole replay runs in one flush). */
function replayVirtually(options: Omit<ReplayRunOptions, 'scheduler'>) {
  const scheduler = new VirtualTimeScheduler();
  const snapshots: RunSnapshot[] = [];
  let error: unknown;
  let completed = false;
  replayRun({ ...options, scheduler }).subscribe({
    next: (s) => snapshots.push(s),
    error: (e) => {
      error = e;
    },
    complete: () => {
      completed = true;
    },
  });
  scheduler.flush();
  return { snapshots, error, completed };
}

/** A recorded Assistants run waiting for tool calls (the shape `snapshot.job` holds). */
const waitingRun = (calls: { id: string; name: string; arguments: string }[]): ScriptedStatus => ({
  id: 'run_rec',
  status: 'requires_action',
  expires_at: null,
  required_action: {
    type: 'submit_tool_outputs',
    submit_tool_outputs: {
      tool_calls: calls.map((c) => ({
        id: c.id,
        type: 'function' as const,
        function: { name: c.name, arguments: c.arguments },
      })),
    },
  },
});

afterEach(() => {
  vi.useRealTimers();
});

describe('replayRun: the machine by itself, with no client and no network', () => {
  it('feeds scripted statuses one interval apart and ends on the terminal one', () => {
    const { snapshots, error, completed } = replayVirtually({
      kind: 'response',
      statuses: ['queued', 'in_progress', 'completed'],
      intervalMs: 500,
    });
    expect(error).toBeUndefined();
    expect(completed).toBe(true);
    expect(snapshots.map((s) => [s.state, s.status, s.at, s.done])).toEqual([
      ['queued', undefined, 0, false],
      ['queued', 'queued', 500, false],
      ['in_progress', 'in_progress', 1000, false],
      ['completed', 'completed', 1500, true],
    ]);
    expect(snapshots.at(-1)).toMatchObject({
      id: 'replay',
      kind: 'response',
      source: 'replay',
      calls: 0,
      job: { id: 'replay', status: 'completed' },
    });
  });

  it('maps each kind’s own statuses, and ignores a stale one as a live watch would', () => {
    const { snapshots } = replayVirtually({
      kind: 'batch',
      id: 'batch_rec',
      statuses: ['validating', 'in_progress', 'validating', 'finalizing', 'completed'],
    });
    expect(snapshots.map((s) => [s.state, s.status])).toEqual([
      ['queued', undefined],
      ['queued', 'validating'],
      ['in_progress', 'in_progress'],
      ['in_progress', 'finalizing'],
      ['completed', 'completed'],
    ]);
    expect(snapshots.at(-1)?.id).toBe('batch_rec');
  });

  it('stops when the statuses run out before a terminal one', () => {
    const { snapshots, completed } = replayVirtually({ kind: 'response', statuses: ['in_progress'] });
    expect(completed).toBe(true);
    expect(snapshots.at(-1)).toMatchObject({ state: 'in_progress', done: false });
    expect(snapshots.at(-1)?.note).toMatch(/stopped watching/);
  });

  it('times out on the scheduler’s time when maxWaitMs passes first', () => {
    const { snapshots } = replayVirtually({
      kind: 'response',
      statuses: ['queued', 'in_progress', 'in_progress', 'completed'],
      intervalMs: 1000,
      maxWaitMs: 2500,
    });
    expect(snapshots.at(-1)).toMatchObject({
      state: 'timed_out',
      status: 'in_progress',
      at: 2500,
      done: true,
    });
  });

  it('checks a recorded expires_at when it passes, and goes on as the recording says', async () => {
    vi.useFakeTimers({ now: 0 });
    const values: unknown[] = [];
    const running = { id: 'run_x', status: 'in_progress', expires_at: 3.5 };
    const done = lastValueFrom(
      replayRun({
        kind: 'assistants.run',
        // expires_at is in seconds: 3.5 s after the clock's origin, between the third and fourth reads.
        statuses: [running, running, running, running, { ...running, status: 'expired' }],
        intervalMs: 1000,
        inspect: (e) => {
          if (e.type === '@xstate.snapshot') values.push((e.snapshot as { value?: unknown }).value);
        },
      }),
    );
    await vi.advanceTimersByTimeAsync(10_000);
    const last = await done;
    // The confirming read is answered by the last observation (still in_progress): the watch goes on.
    expect(values).toContainEqual({ watching: 'confirming_expiry' });
    expect(last).toMatchObject({ id: 'run_x', state: 'expired', status: 'expired', at: 5000, done: true });
  });

  it('runs tool handlers on recorded tool calls, once per call id', async () => {
    vi.useFakeTimers({ now: 0 });
    const seen: [unknown, string][] = [];
    const waiting = waitingRun([{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    const done = lastValueFrom(
      replayRun({
        kind: 'assistants.run',
        // The status still reads requires_action for the same call right after the submission: no second round.
        statuses: [
          waiting,
          waiting,
          { ...waiting, status: 'in_progress' },
          { id: 'run_rec', status: 'completed' },
        ],
        tools: {
          get_weather: (args, call) => {
            seen.push([args, call.id]);
            return { temperature: 21 };
          },
        },
      }).pipe(toArray()),
    );
    await vi.advanceTimersByTimeAsync(10_000);
    const snapshots = await done;
    expect(seen).toEqual([[{ city: 'Paris' }, 'call_1']]);
    expect(snapshots.map((s) => [s.state, s.pendingToolCalls.map((c) => c.id)])).toEqual([
      ['queued', []],
      ['requires_action', ['call_1']],
      // Submitted: nothing pending any more.
      ['requires_action', []],
      ['in_progress', []],
      ['completed', []],
    ]);
    expect(snapshots.at(-1)?.id).toBe('run_rec');
  });

  it('shows a requested tool with no handler as missing, as a live watch does', () => {
    const { snapshots } = replayVirtually({
      kind: 'assistants.run',
      statuses: [waitingRun([{ id: 'call_9', name: 'approve_refund', arguments: '{}' }])],
    });
    expect(snapshots.find((s) => s.missingHandlers.length > 0)).toMatchObject({
      state: 'requires_action',
      missingHandlers: ['approve_refund'],
      pendingToolCalls: [{ id: 'call_9', name: 'approve_refund' }],
    });
  });

  it('stops on abort', () => {
    const scheduler = new VirtualTimeScheduler();
    const abort = new AbortController();
    const snapshots: RunSnapshot[] = [];
    replayRun({
      kind: 'response',
      statuses: ['queued', 'in_progress', 'completed'],
      scheduler,
      signal: abort.signal,
    }).subscribe((s) => snapshots.push(s));
    scheduler.maxFrames = 1500;
    scheduler.flush();
    abort.abort();
    expect(snapshots.at(-1)).toMatchObject({ state: 'queued', status: 'queued', done: false });
    expect(snapshots.at(-1)?.note).toMatch(/stopped watching on abort/);
  });

  it('refuses bad input with a typed error', async () => {
    const bad = [
      { kind: 'fine_tune', statuses: [] },
      { kind: 'response', statuses: 'completed' },
      { kind: 'response', statuses: [42] },
      { kind: 'response', statuses: [], intervalMs: -1 },
      { kind: 'response', statuses: [], maxWaitMs: 0 },
    ] as unknown as ReplayRunOptions[];
    for (const options of bad) {
      await expect(lastValueFrom(replayRun(options))).rejects.toBeInstanceOf(ConfigurationError);
    }
  });

  it('reports the machine to an inspector: the run actor, every status event, every transition', () => {
    const events: InspectionEvent[] = [];
    replayVirtually({
      kind: 'response',
      statuses: ['queued', 'in_progress', 'in_progress', 'completed'],
      inspect: (e) => events.push(e),
    });
    const statusEvents = events.filter((e) => e.type === '@xstate.event' && e.event.type === 'status');
    expect(statusEvents.map((e) => (e as unknown as { event: { status: string } }).event.status)).toEqual([
      'queued',
      'in_progress',
      'in_progress',
      'completed',
    ]);
    const runSnapshots = events.filter(
      (e) =>
        e.type === '@xstate.snapshot' && (e.snapshot as { machine?: { id?: string } }).machine?.id === 'run',
    );
    expect(runSnapshots.length).toBeGreaterThanOrEqual(4);
    expect(runSnapshots.at(-1)).toMatchObject({ snapshot: { status: 'done', value: 'completed' } });
  });

  it('plays in the Stately inspector over a real WebSocket, terminal snapshot included', async () => {
    const bridge = await startInspectorBridge();
    const inspector = createWebSocketInspector({ url: bridge.url });
    try {
      // Wait for the socket before replaying, so nothing is deferred; then the recipe of docs/inspect.md.
      inspector.actor('probe');
      await until(() => bridge.received.length > 0, 'the inspector connection');
      try {
        await lastValueFrom(
          replayRun({
            kind: 'response',
            statuses: ['queued', 'in_progress', 'completed'],
            intervalMs: 5,
            inspect: inspector.inspect,
          }),
        );
      } finally {
        await new Promise((resolve) => setTimeout(resolve, 0));
        inspector.stop();
      }
      const isRun = (e: StatelyInspectionEvent) => e.type === '@xstate.actor' && hasMachine(e, 'run');
      await until(
        () => bridge.received.some((e) => e.type === '@xstate.snapshot' && snapshotStatus(e) === 'done'),
        'the done snapshot at the UI',
      );
      const run = bridge.received.find(isRun)!;
      const values = bridge.received
        .filter((e) => e.type === '@xstate.snapshot' && e.sessionId === run.sessionId)
        .map(stateValue);
      // One snapshot per status event: the first `queued` changes context (the status is seen), not the state.
      expect(values).toEqual([
        { watching: 'queued' },
        { watching: 'queued' },
        { watching: 'in_progress' },
        'completed',
      ]);
    } finally {
      inspector.stop();
      bridge.close();
    }
  });
});
