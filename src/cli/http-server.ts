import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError } from './command.js';

/** A listening `node:http` server. */
export interface Listening {
  /** `http://<host>:<port>/`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `handler` on `host:port` (port 0: any free one). A port in use or not allowed is a one-line `CliError`.
 */
export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  { port, host = '127.0.0.1' }: { port: number; host?: string },
): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use: pick another with --port`
          : error.code === 'EACCES'
            ? `not allowed to listen on port ${port}: pick a port above 1023 with --port`
            : `cannot listen on ${host}:${port} (${error.code ?? error.message})`;
      reject(new CliError(reason));
    });
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${actual}/`,
    port: actual,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
