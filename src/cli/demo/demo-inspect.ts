import { createConnection } from 'node:net';
import type { InspectionEvent, Observer } from 'xstate';
import { CliError, UsageError } from '../command.js';

/** Where `runstate demo --inspect` sends the watches, and how to let go of it. */
export interface DemoInspector {
  /** Handed to every watch's `createActor`. */
  inspect: Observer<InspectionEvent>;
  /** The page that shows the inspector, when the demo started the bridge. */
  page: string | undefined;
  /** Sends what is still pending, then closes the socket (and the bridge the demo started). */
  close(): Promise<void>;
}

/** How the demo reaches the inspector: a bridge it starts on `port`, or one already listening at `url`. */
export type DemoInspectTarget = { port: number; open: boolean } | { url: string };

export const DEFAULT_INSPECT_PORT = 8080;

// The demo emits thousands of inspection events in seconds; the inspector keeps 200 by default until its socket
// opens. The bridge has its own replay buffer for late pages (200, fixed), which is why a page should be open first.
const MAX_DEFERRED_EVENTS = 100_000;

/** Whether something accepts TCP connections at host:port. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(2_000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** `@statelyai/inspect` is optional: a clear one-line error when it is not installed. */
async function load() {
  try {
    const [client, server] = await Promise.all([
      import('@statelyai/inspect'),
      import('@statelyai/inspect/server'),
    ]);
    return { ...client, ...server };
  } catch {
    throw new CliError(
      '--inspect needs the Stately inspector package: npm i -D @statelyai/inspect (it is not a dependency of runstate)',
    );
  }
}

/**
 * Connects the demo to the Stately inspector. With a port, starts the bridge from `@statelyai/inspect/server`
 * there (it serves the inspector page and relays to it) and, when `open`, opens that page in the browser. With a
 * URL, sends to a bridge already listening there. Refuses to start when nothing would listen: the WebSocket
 * inspector otherwise reconnects every 5 s forever and keeps the process alive.
 */
export async function startDemoInspector(target: DemoInspectTarget): Promise<DemoInspector> {
  const { createWebSocketInspector, createInspectorServer } = await load();
  let url: string;
  let bridge: { stop(): void } | undefined;
  let page: string | undefined;
  if ('url' in target) {
    let parsed: URL;
    try {
      parsed = new URL(target.url);
    } catch {
      throw new UsageError(`--inspect-url must be a ws:// URL (got ${JSON.stringify(target.url)})`);
    }
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw new UsageError(`--inspect-url must be a ws:// URL (got ${JSON.stringify(target.url)})`);
    }
    const port = Number(parsed.port || (parsed.protocol === 'wss:' ? 443 : 80));
    if (!(await listening(parsed.hostname, port))) {
      throw new CliError(
        `nothing listens at ${target.url}: start the inspector bridge first, or use --inspect`,
      );
    }
    url = target.url;
  } else {
    if (await listening('localhost', target.port)) {
      throw new CliError(
        `port ${target.port} is in use: if an inspector bridge runs there, pass --inspect-url ws://localhost:${target.port}`,
      );
    }
    bridge = createInspectorServer({ port: target.port, autoOpen: target.open });
    page = `http://localhost:${target.port}`;
    url = `ws://localhost:${target.port}`;
  }
  const inspector = createWebSocketInspector({ url, maxDeferredEvents: MAX_DEFERRED_EVENTS });
  return {
    inspect: inspector.inspect,
    page,
    async close() {
      // The inspector hands each event to its socket on a 0 ms timer: stop it one macrotask after the last one.
      await new Promise((resolve) => setTimeout(resolve, 0));
      inspector.stop();
      if (!bridge) return;
      bridge.stop();
      // The bridge stops listening but does not close the sockets of pages still connected, and gives no handle
      // on them: they would keep the demo alive after its last line. Exit then, unless it ends by itself first.
      setTimeout(() => process.exit(), 1_000).unref();
    },
  };
}
