import { createServer } from 'node:net';
import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';

/** A port nobody listens on right now (the inspector's server takes a port number, not 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Waits (in real time, polling every 10 ms) until `check()` holds; throws naming `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

/** The inspector's side of a test: the bridge and a WebSocket client in place of the UI. */
export interface InspectorBridge {
  /** `ws://127.0.0.1:<port>`: where an app's WebSocket inspector sends. */
  url: string;
  port: number;
  /** Everything the UI received, in order. */
  received: StatelyInspectionEvent[];
  close(): void;
}

/**
 * Starts the bridge from `@statelyai/inspect/server` on a free port (no browser) and connects a real WebSocket
 * client to it standing in for the inspector UI: the bridge relays what the app sends to every other connection,
 * and replays what it buffered to a late one.
 */
export async function startInspectorBridge(): Promise<InspectorBridge> {
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}`;
  const bridge = createInspectorServer({ port, autoOpen: false });
  const received: StatelyInspectionEvent[] = [];
  const subscription = createWebSocketReceiver({ server: url }).subscribe((e) => received.push(e));
  return {
    url,
    port,
    received,
    close() {
      subscription.unsubscribe();
      bridge.stop();
    },
  };
}

// The inspection events are JSON from the wire: read them defensively.

/** The snapshot status (`active`, `done`, ...) of a snapshot event. */
export function snapshotStatus(e: StatelyInspectionEvent): unknown {
  return (e as { snapshot?: { status?: string } }).snapshot?.status;
}
/** The state value of a snapshot event. */
export function stateValue(e: StatelyInspectionEvent): unknown {
  return (e as { snapshot?: { value?: unknown } }).snapshot?.value;
}
/** The type of the event carried by an `@xstate.event`. */
export function eventType(e: StatelyInspectionEvent): unknown {
  return (e as { event?: { type?: string } }).event?.type;
}
/** Whether an `@xstate.actor` event registers a machine with this id. */
export function hasMachine(e: StatelyInspectionEvent, id: string): boolean {
  const definition = (e as { definition?: string }).definition;
  return typeof definition === 'string' && definition.includes(`"id":"${id}"`);
}
