// The server of bench/event-streams.ts --idle: N event streams that send one snapshot and then nothing, served
// one of several ways, so that what a connection itself costs is measured apart from the watches and the load.
// argv: mode = bare | light | web-stream. Messages: { op: 'heap' } answers { heap } after full collections;
// { op: 'snapshot' } writes a heap snapshot and answers { file }.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeHeapSnapshot } from 'node:v8';
import { BehaviorSubject } from 'rxjs';
import { toEventStream, toNodeListener } from '../../src/http/index.js';

const mode = process.argv[2] ?? 'light';
// One live snapshot shared by every stream, as shareByJob's readers share theirs; it never completes.
const snapshot = { state: 'in_progress' as const, at: Date.now(), done: false, textLength: 5, text: 'hello' };
const watch = new BehaviorSubject(snapshot);

const handlers: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  // A node:http response kept open with one frame written: the floor under every other mode.
  bare: (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify(snapshot)}\n\n`);
  },
  // toEventStream through toNodeListener: written to the socket directly.
  light: toNodeListener((request) => toEventStream(watch, { request })),
  // The same Response rebuilt around its body, so that toNodeListener reads its Web stream (the path before).
  'web-stream': toNodeListener((request) => {
    const r = toEventStream(watch, { request });
    return new Response(r.body, { headers: r.headers });
  }),
};
const handler = handlers[mode];
if (!handler) throw new Error(`unknown mode ${mode}`);

const server = createServer(handler);
server.listen(0, '127.0.0.1', () => {
  process.send?.({ op: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('message', (message: { op: string }) => {
  if (message.op === 'heap') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    process.send?.({ op: 'heap', heap: process.memoryUsage().heapUsed });
  } else if (message.op === 'snapshot') {
    // Where the bytes go: compare two snapshots in Chrome's memory panel, or by constructor name.
    const file = writeHeapSnapshot();
    process.send?.({ op: 'snapshot', file });
  } else if (message.op === 'close') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
