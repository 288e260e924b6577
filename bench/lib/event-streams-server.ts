// The server of bench/event-streams.ts, in a process of its own so that its heap is its own: it watches `jobs`
// streamed responses on the simulator at `baseURL` (one watch per job, shared by every reader through shareByJob)
// and serves them as event streams. Each snapshot carries `sentAt`, the time it left the watch, for the latency.
// Messages: { op: 'delay-start' } then { op: 'delay' } answers the event loop's delay percentiles in between (ms);
// { op: 'heap' } answers { heap } (after two full collections; run with --expose-gc); { op: 'snapshot' }
// writes a heap snapshot in the working directory and answers { file } (HEAP_SNAPSHOTS=1 in bench/event-streams.ts).

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import OpenAI from 'openai';
import { map } from 'rxjs';
import { shareByJob, toEventStream, toNodeListener } from '../../src/http/index.js';
import { stream, watchRun } from '../../src/index.js';

const [baseURL, ids] = process.argv.slice(2);
const client = new OpenAI({ baseURL: baseURL!, apiKey: 'sim', maxRetries: 0 });
const follow = shareByJob((job) =>
  watchRun({ client, job, source: stream(), maxWaitMs: 600_000 }).pipe(
    map((s) => ({ ...s, sentAt: Date.now() })),
  ),
);
const jobs = ids!.split(',').map((id) => ({ kind: 'response' as const, id }));
// The watches run before any reader comes: the heap measured then is what the readers add.
const keep = jobs.map((job) => follow(job).subscribe());

const events = toNodeListener((request) => {
  const id = new URL(request.url).searchParams.get('id') ?? '';
  return toEventStream(follow({ kind: 'response', id }), { request });
});
const server = createServer((req, res) => {
  if (req.url === '/ping') res.end('ok');
  else events(req, res);
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ op: 'ready', port: (server.address() as AddressInfo).port });
});

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
let cpuAtStart = process.cpuUsage();
process.on('message', (message: { op: string }) => {
  if (message.op === 'heap') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    process.send?.({ op: 'heap', heap: process.memoryUsage().heapUsed });
  } else if (message.op === 'delay-start') {
    // How late this process's event loop ran its callbacks over the measured window: the part of a delivery's
    // latency spent waiting in this process (its own work or the CPU it did not get).
    loopDelay.reset();
    loopDelay.enable();
    cpuAtStart = process.cpuUsage();
    process.send?.({ op: 'delay-start' });
  } else if (message.op === 'delay') {
    loopDelay.disable();
    const ms = (q: number) => loopDelay.percentile(q) / 1e6;
    // CPU time (user + system) this process used over the window: what it asks of the machine, whatever it got.
    const cpu = process.cpuUsage(cpuAtStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    process.send?.({ op: 'delay', p50: ms(50), p95: ms(95), p99: ms(99), max: loopDelay.max / 1e6, cpuMs });
  } else if (message.op === 'snapshot') {
    process.send?.({ op: 'snapshot', file: writeHeapSnapshot() });
  } else if (message.op === 'close') {
    for (const s of keep) s.unsubscribe();
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
