import { createWebSocketInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import type OpenAI from 'openai';
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type JobRef, watchRun } from '../../src/index.js';
import { type ManualClock, type Simulator, startSimulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import {
  eventType,
  hasMachine,
  snapshotStatus,
  startInspectorBridge,
  stateValue,
  until,
} from '../helpers/inspector.js';
import { scenarioMeta, simClient } from '../helpers/sim.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function bridgeAndUi() {
  const bridge = await startInspectorBridge();
  closers.push(() => bridge.close());
  return bridge;
}

/** A background response on a manual clock: it ends only when the test moves time. */
async function responseOnManualClock(): Promise<{
  sim: Simulator<ManualClock>;
  client: OpenAI;
  job: JobRef;
}> {
  const sim = await startSimulator({ clock: 'manual' });
  closers.push(() => sim.close());
  const client = simClient(sim);
  const r = await client.responses.create({
    model: 'gpt-4o-mini',
    input: 'hi',
    background: true,
    metadata: scenarioMeta({ phases: { queued: 200, in_progress: 1000 } }),
  });
  return { sim, client, job: { kind: 'response', id: r.id } };
}

/** Moves the simulator's clock until `done` settles (polls are HTTP round trips: time moves in small steps). */
async function driveUntil(sim: Simulator<ManualClock>, done: Promise<unknown>): Promise<void> {
  let settled = false;
  void done.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let i = 0; i < 2_000 && !settled; i++) {
    await sim.clock.advance(50);
    // A poll the advance fired is an HTTP round trip: let it reach the server before time moves on, or a slower
    // runtime (seen on Node 24) answers it a whole phase late.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await done;
}

const runSnapshots = (events: readonly StatelyInspectionEvent[], runSessionId: string) =>
  events.filter((e) => e.type === '@xstate.snapshot' && e.sessionId === runSessionId);

const runActor = (events: readonly StatelyInspectionEvent[]) =>
  events.find((e) => e.type === '@xstate.actor' && hasMachine(e, 'run'));

describe('the Stately inspector over a real WebSocket', () => {
  it("docs/inspect.md's recipe delivers every snapshot, the terminal one included", async () => {
    const { url, received } = await bridgeAndUi();
    const { sim, client, job } = await responseOnManualClock();
    // What the inspector handed to its WebSocket, counted where it sends (after its own deferral).
    const handed: StatelyInspectionEvent[] = [];
    const inspector = createWebSocketInspector({
      url,
      filter: (e) => {
        handed.push(e);
        return true;
      },
    });
    closers.push(() => inspector.stop());

    // The recipe, as docs/inspect.md shows it.
    const recipe = async () => {
      try {
        return await lastValueFrom(
          watchRun({ client, job, inspect: inspector.inspect, scheduler: simScheduler(sim.clock) }),
        );
      } finally {
        await new Promise((resolve) => setTimeout(resolve, 0));
        inspector.stop();
      }
    };
    const done = recipe();
    // The UI sees the run actor only once the inspector's socket is open: time moves after that.
    await until(() => runActor(received) !== undefined, 'the run actor at the UI');
    await driveUntil(sim, done);
    expect((await done).state).toBe('completed');

    const sessionId = runActor(received)!.sessionId;
    const sent = runSnapshots(handed, sessionId);
    await until(() => runSnapshots(received, sessionId).length >= sent.length, 'every run snapshot');
    const arrived = runSnapshots(received, sessionId);
    expect(arrived.map(stateValue)).toEqual(sent.map(stateValue));
    expect(arrived.at(-1)).toMatchObject({ snapshot: { status: 'done', value: 'completed' } });
    expect(arrived.map(stateValue)).toEqual([
      { watching: 'queued' },
      { watching: 'in_progress' },
      'completed',
    ]);
    // Every inspection event made it, child actors and events included, not only the run's snapshots.
    await until(() => received.length >= handed.length, 'every inspection event');
    expect(received.map((e) => e.type)).toEqual(handed.map((e) => e.type));
    expect(received.some((e) => e.type === '@xstate.event' && eventType(e) === 'status')).toBe(true);
  });

  it('stopping the inspector in `complete` (the old recipe) loses the terminal snapshot', async () => {
    const { url, received } = await bridgeAndUi();
    const { sim, client, job } = await responseOnManualClock();
    const handed: StatelyInspectionEvent[] = [];
    const inspector = createWebSocketInspector({
      url,
      filter: (e) => {
        handed.push(e);
        return true;
      },
    });
    closers.push(() => inspector.stop());
    const done = new Promise<void>((resolve, reject) => {
      watchRun({ client, job, inspect: inspector.inspect, scheduler: simScheduler(sim.clock) }).subscribe({
        error: reject,
        complete: () => {
          inspector.stop();
          resolve();
        },
      });
    });
    await until(() => runActor(received) !== undefined, 'the run actor at the UI');
    await driveUntil(sim, done);
    // XState inspects the done snapshot after the watch completed, and the inspector sends it a macrotask later.
    await until(
      () => handed.some((e) => e.type === '@xstate.snapshot' && snapshotStatus(e) === 'done'),
      'the done snapshot',
    );
    await new Promise((r) => setTimeout(r, 100));
    const sessionId = runActor(received)!.sessionId;
    expect(runSnapshots(handed, sessionId).at(-1)).toMatchObject({ snapshot: { status: 'done' } });
    expect(runSnapshots(received, sessionId).some((e) => snapshotStatus(e) === 'done')).toBe(false);
    expect(received.length).toBeLessThan(handed.length);
  });
});
