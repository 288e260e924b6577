// Event streams: one server process serving many concurrent Server-Sent Events streams of live watches
// (toEventStream over shareByJob), read by plain HTTP clients in this process. Measures the server's heap per
// connection (heap with the readers connected minus heap with the same watches and no reader, after full
// collections) and the delivery latency from the snapshot leaving the watch to the client reading it, against the
// local round trip of a plain request measured in the same run. The simulator runs in a process of its own.
// Then what an idle connection costs, apart from the watches and the load: the same number of streams that sent
// one snapshot, served three ways (a bare node:http response, toNodeListener's direct writer, and the Web stream
// read into the socket), each in a fresh server process. The servers run bundled as the package is built.
// Run: npm run bench:event-streams [-- --connections 1000 --jobs 100 --seconds 10]
import { type ChildProcess, fork } from 'node:child_process';
import { request } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import OpenAI from 'openai';
import { option } from './lib/args.js';
import { writeDocSection } from './lib/doc-markers.js';
import { bundle } from './lib/overhead-bundle.js';
import { startSimProcess } from './lib/sim-handle.js';

const CONNECTIONS = option('connections', 1_000);
const JOBS = option('jobs', 100);
const SECONDS = option('seconds', 10);
const HEAP_GOAL = 16 * 1024;
const LATENCY_GOAL_MS = 50;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function ask<T>(child: ChildProcess, op: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { op: string }) => {
      if (m.op !== op) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send({ op });
  });
}

function get(port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    })
      .on('error', reject)
      .end();
  });
}

// Long streamed responses: a word every 100 ms for longer than the run, so every watch is live throughout. Setting
// up took over 40 s on a loaded machine (a run measured no event at all when the responses lasted SECONDS + 30 s).
const words = Math.ceil(((SECONDS + 180) * 1000) / 100);
const sim = await startSimProcess({
  speed: 1,
  seed: 7,
  scenario: {
    phases: { queued: 0, in_progress: 100 },
    stream: { everyMs: 100 },
    reply: 'word '.repeat(words).trim(),
  },
});
const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0 });
const ids: string[] = [];
for (let i = 0; i < JOBS; i++) {
  const events = await client.responses.create({
    model: 'gpt-4o-mini',
    input: 'hi',
    background: true,
    stream: true,
  });
  for await (const event of events) {
    if (event.type === 'response.created') {
      ids.push(event.response.id);
      break;
    }
  }
}

// Bundled as the package is built: under tsx every closure the library makes per connection carries a name
// property (keepNames), about 3.6 KiB per connection that no user pays.
const server = fork(
  await bundle(new URL('./lib/event-streams-server.ts', import.meta.url)),
  [sim.baseURL, ids.join(',')],
  {
    execArgv: ['--expose-gc'],
  },
);
const { port } = await ask<{ port: number }>(server, 'ready');
await sleep(2_000);

// The local round trip: sequential plain requests to the same server process.
const rtts: number[] = [];
for (let i = 0; i < 200; i++) {
  const t = performance.now();
  await get(port, '/ping');
  rtts.push(performance.now() - t);
}
const heapBefore = (await ask<{ heap: number }>(server, 'heap')).heap;
const beforeAt = performance.now();
// Where the bytes go: a heap snapshot at both points, to compare (HEAP_SNAPSHOTS=1).
const snapshot = async () =>
  process.env.HEAP_SNAPSHOTS && console.log((await ask<{ file: string }>(server, 'snapshot')).file);
await snapshot();

const latencies: number[] = [];
let measuring = false;
let events = 0;
let first = 0;
const sockets: { destroy(): void }[] = [];
await Promise.all(
  Array.from(
    { length: CONNECTIONS },
    (_, i) =>
      new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: `/events?id=${ids[i % JOBS]}`,
            agent: false,
            headers: { accept: 'text/event-stream' },
          },
          (res) => {
            res.setEncoding('utf8');
            let buffer = '';
            let seen = false;
            res.on('data', (chunk: string) => {
              const now = Date.now();
              buffer += chunk;
              let end = buffer.indexOf('\n\n');
              while (end >= 0) {
                const block = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                end = buffer.indexOf('\n\n');
                const sent = /"sentAt":(\d+)/.exec(block);
                if (!sent) continue;
                if (!seen) {
                  seen = true;
                  first++;
                  resolve();
                }
                if (measuring) {
                  events++;
                  latencies.push(now - Number(sent[1]));
                }
              }
            });
          },
        );
        req.on('error', reject);
        req.end();
        sockets.push(req);
      }),
  ),
);
// Right after every reader got its first event: later, the watches' own snapshots grow with their text, which is
// not the readers' cost.
const heapWith = (await ask<{ heap: number }>(server, 'heap')).heap;
const withAt = performance.now();
await snapshot();
await ask(server, 'delay-start');
measuring = true;
await sleep(SECONDS * 1000);
measuring = false;
const delay = await ask<{ p50: number; p95: number; p99: number; max: number; cpuMs: number }>(
  server,
  'delay',
);
for (const s of sockets) s.destroy();
await sleep(1_000);
// The same watches with no reader again: their snapshots grew meanwhile (the text, shareByJob's window of 64 per
// job), by more the longer connecting took. The heap without readers at the moment of heapWith is read off the line
// from heapBefore to this one.
const heapAfter = (await ask<{ heap: number }>(server, 'heap')).heap;
const afterAt = performance.now();
server.send({ op: 'close' });
await sim.close();

// What an idle connection costs, one server process per way of serving it.
const idleServer = await bundle(new URL('./lib/idle-streams-server.ts', import.meta.url));
async function idleCost(mode: string): Promise<number> {
  const child = fork(idleServer, [mode], { execArgv: ['--expose-gc'] });
  const { port: idlePort } = await ask<{ port: number }>(child, 'ready');
  await sleep(500);
  const before = (await ask<{ heap: number }>(child, 'heap')).heap;
  const open: { destroy(): void }[] = [];
  await Promise.all(
    Array.from(
      { length: CONNECTIONS },
      () =>
        new Promise<void>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port: idlePort, agent: false }, (res) => {
            res.once('data', () => resolve());
            res.resume();
          });
          req.on('error', reject);
          req.end();
          open.push(req);
        }),
    ),
  );
  await sleep(500);
  const after = (await ask<{ heap: number }>(child, 'heap')).heap;
  for (const r of open) r.destroy();
  child.send({ op: 'close' });
  await new Promise((resolve) => child.once('exit', resolve));
  return (after - before) / CONNECTIONS;
}
const idle: Record<string, number> = {};
for (const mode of ['bare', 'light', 'web-stream']) idle[mode] = await idleCost(mode);

const heapWithout = heapBefore + ((heapAfter - heapBefore) * (withAt - beforeAt)) / (afterAt - beforeAt);
const perConnection = (heapWith - heapWithout) / CONNECTIONS;
const perConnectionRaw = (heapWith - heapBefore) / CONNECTIONS;
const rttP50 = quantile(rtts, 0.5);
const p50 = quantile(latencies, 0.5);
const p95 = quantile(latencies, 0.95);
const p99 = quantile(latencies, 0.99);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const fmt = (ms: number) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
const heapMet = perConnection <= HEAP_GOAL;
const latencyMet = p95 <= LATENCY_GOAL_MS + rttP50;

const body = `Measured by \`npm run bench:event-streams\` (${CONNECTIONS.toLocaleString('en')} concurrent event streams over ${JOBS} live
watches, ${CONNECTIONS / JOBS} readers per watch through \`shareByJob\`; each watch follows a streamed background response with
\`stream()\`, a word every 100 ms; the simulator, the server and the clients in three processes on one machine).
Heap per connection is the server's heap once every reader got its first event minus its heap without readers at
that moment (read off the line between the heap just before they connected and the heap once they all left, the same
watches running throughout), all after full collections, divided by the connections. Latency is from the snapshot leaving the watch
(\`sentAt\`) to a plain HTTP client reading its event, over ${SECONDS} s (${events.toLocaleString('en')} events).

| | value |
| --- | --- |
| streams connected | ${first.toLocaleString('en')} / ${CONNECTIONS.toLocaleString('en')} |
| heap per connection | ${kib(perConnection)} (against the heap before they connected: ${kib(perConnectionRaw)}) |
| delivery latency p50 / p95 / p99 | ${fmt(p50)} / ${fmt(p95)} / ${fmt(p99)} |
| local round trip of a plain request, p50 / p95 | ${fmt(rttP50)} / ${fmt(quantile(rtts, 0.95))} |
| the server's event loop delay over the window, p50 / p95 / p99 | ${fmt(delay.p50)} / ${fmt(delay.p95)} / ${fmt(delay.p99)} |
| the server's CPU time over the window (share of one core); per event delivered | ${Math.round(delay.cpuMs).toLocaleString('en')} ms (${((100 * delay.cpuMs) / (SECONDS * 1000)).toFixed(0)} %); ${events ? ((1000 * delay.cpuMs) / events).toFixed(0) : '–'} µs |
| load average (1 min) at the end | ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores |

What an idle connection costs (${CONNECTIONS.toLocaleString('en')} streams that sent one snapshot and wait; heap after full
collections, divided by the connections; a server process per row):

| served as | heap per connection |
| --- | --- |
| a bare \`node:http\` response kept open (the floor) | ${kib(idle.bare!)} |
| \`toEventStream\` through \`toNodeListener\`: written to the socket directly | ${kib(idle.light!)} |
| the same, its Web stream read into the socket (a \`Response\` rebuilt around its body) | ${kib(idle['web-stream']!)} |

Goals: ≤ 16 KiB per connection: ${heapMet ? 'met' : 'not met'} (${(perConnection / 1024).toFixed(1)} KiB). Delivery p95 ≤ 50 ms + the local round
trip p50 (${fmt(LATENCY_GOAL_MS + rttP50)}): ${latencyMet ? 'met' : 'not met'} (p95 ${fmt(p95)}).`;
console.log(body);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const file = new URL('../docs/benchmarks.md', import.meta.url).pathname;
if (!writeDocSection(file, 'Event streams', 'bench:event-streams', body))
  console.log('(docs/benchmarks.md has no "## Event streams" section)');
if (events === 0) console.log('no event was measured: the watched responses ended before the window');
process.exit(0);
