import { createServer } from 'node:net';
import {
  createWebSocketInspector,
  createWebSocketReceiver,
  type StatelyInspectionEvent,
} from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { watchRun } from '../src/index.js';
import { startSimulator } from '../src/sim/index.js';
import { simScheduler } from '../src/sim/scheduler.js';
import { scenarioMeta, simClient } from './helpers/sim.js';

/** A port nobody listens on right now (the inspector's server takes a port number, not 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const until = async (check: () => boolean, ms = 5_000) => {
  for (const end = Date.now() + ms; !check() && Date.now() < end; )
    await new Promise((r) => setTimeout(r, 20));
};

describe('the Stately inspector', () => {
  it('receives the run machine and its transitions over the WebSocket bridge, offline', async () => {
    const port = await freePort();
    const bridge = createInspectorServer({ port, autoOpen: false });
    const sim = await startSimulator({ clock: { speed: 50 } });
    const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
    const received: StatelyInspectionEvent[] = [];
    // Stands in for the inspector UI: the bridge replays what the app sent to each new connection.
    const ui = createWebSocketReceiver({ server: `ws://127.0.0.1:${port}` });
    const subscription = ui.subscribe((e) => received.push(e));
    try {
      const client = simClient(sim);
      const r = await client.responses.create({
        model: 'gpt-4o-mini',
        input: 'hi',
        background: true,
        metadata: scenarioMeta({ phases: { queued: 200, in_progress: 1000 } }),
      });
      const last = await lastValueFrom(
        watchRun({
          client,
          job: { kind: 'response', id: r.id },
          inspect: inspector.inspect,
          scheduler: simScheduler(sim.clock),
        }),
      );
      expect(last.state).toBe('completed');
      await until(() => received.some((e) => e.type === '@xstate.snapshot' && isDone(e)));
      const actor = received.find((e) => e.type === '@xstate.actor' && hasMachine(e, 'run'));
      expect(actor).toBeDefined();
      const states = received.filter((e) => e.type === '@xstate.snapshot').map(stateValue);
      expect(states).toContain('completed');
      expect(received.some((e) => e.type === '@xstate.event' && eventType(e) === 'status')).toBe(true);
    } finally {
      subscription.unsubscribe();
      inspector.stop();
      bridge.stop();
      await sim.close();
    }
  });
});

// The inspection events are JSON from the wire: read them defensively.
function isDone(e: StatelyInspectionEvent): boolean {
  return (e as { snapshot?: { status?: string } }).snapshot?.status === 'done';
}
function stateValue(e: StatelyInspectionEvent): unknown {
  return (e as { snapshot?: { value?: unknown } }).snapshot?.value;
}
function eventType(e: StatelyInspectionEvent): unknown {
  return (e as { event?: { type?: string } }).event?.type;
}
function hasMachine(e: StatelyInspectionEvent, id: string): boolean {
  const definition = (e as { definition?: string }).definition;
  return typeof definition === 'string' && definition.includes(`"id":"${id}"`);
}
