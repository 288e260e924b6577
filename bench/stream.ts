// Benchmark: stream vs poll vs webhook on the same simulated background responses. For each source it reports
// the requests each job cost and how late the watch saw the job end (detection delay: the terminal snapshot's
// arrival minus the moment the simulator's script ended the job), with 0, 1 and 3 dropped connections per stream.
// Run: npm run bench:stream [-- --jobs 100 --concurrency 10]. The default run writes its section of docs/benchmarks.md.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { lastValueFrom } from 'rxjs';
import {
  createWebhookHub,
  type JobRef,
  poll,
  type RunSnapshot,
  type Source,
  stream,
  watchRun,
  webhookSource,
} from '../src/index.js';
import { generateWebhookSecret, type Scenario, type SimFaults, startSimulator } from '../src/sim/index.js';
import { option } from './lib/args.js';
import { writeDocSection } from './lib/doc-markers.js';

const JOBS = option('jobs', 100);
/** Watches in flight at once: enough to overlap, few enough that one process does not delay its own events. */
const CONCURRENCY = option('concurrency', 10);
const SEED = 7;
const WORDS = 20;
/** 5 events before the text, one per word, 4 after it: every completed stream has 29 events. */
const EVENTS = 5 + WORDS + 4;
/** Real time: detection delays are wall-clock ms, as a user would see them. */
const SCENARIO: Scenario = {
  phases: { queued: [100, 400], in_progress: { dist: 'lognormal', median: 1500, sigma: 0.5, max: 5000 } },
  reply: Array.from({ length: WORDS }, (_, i) => `word${i}`).join(' '),
};

interface Row {
  source: string;
  drops: string;
  requestsPerJob: number;
  connectionsPerJob: number | undefined;
  p50: number;
  p95: number;
  max: number;
  ended: number;
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

/** Creates a streamed background response and leaves its stream once it knows the id. */
async function createStreamed(client: OpenAI): Promise<JobRef> {
  const events = await client.responses.create({
    model: 'gpt-4o-mini',
    input: 'hi',
    background: true,
    stream: true,
  });
  for await (const event of events) {
    if (event.type === 'response.created') return { kind: 'response', id: event.response.id };
  }
  throw new Error('no response.created');
}

/** The local round trip: one retrieve of a finished response, p50 over 50 sequential requests. */
async function roundTrip(): Promise<{ p50: number; p95: number }> {
  const sim = await startSimulator({ seed: SEED, scenario: { phases: { queued: 0, in_progress: 0 } } });
  const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0 });
  const r = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true });
  const times: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t = performance.now();
    await client.responses.retrieve(r.id);
    if (i >= 10) times.push(performance.now() - t);
  }
  await sim.close();
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95) };
}

async function measure(
  name: string,
  drops: string,
  makeSource: (hub: ReturnType<typeof createWebhookHub>) => Source,
  faults: SimFaults = {},
): Promise<Row> {
  const secret = generateWebhookSecret();
  const hub = createWebhookHub({ secret });
  const server = createServer(hub.node);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  // The same seed and creation order: every source watches the same durations.
  const sim = await startSimulator({ seed: SEED, scenario: SCENARIO, faults, webhooks: { url, secret } });
  const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0 });
  const source = makeSource(hub);

  const delays: number[] = [];
  const requests: number[] = [];
  const connections: number[] = [];
  const watchOne = async () => {
    const job = await createStreamed(client);
    const last: RunSnapshot = await lastValueFrom(watchRun({ client, job, source, maxWaitMs: 60_000 }));
    const seenAt = Date.now();
    const stats = sim.job(last.id)!;
    if (stats.endedAt === null || !last.done) return;
    delays.push(seenAt - stats.endedAt);
    // Every request that named the job, its create excepted.
    requests.push(stats.requests - 1);
    connections.push(stats.requests - 1 - stats.retrieves);
  };
  let created = 0;
  const lane = async () => {
    while (created < JOBS) {
      created++;
      await watchOne();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const byRoute = sim.stats().requests.byRoute;
  await sim.close();
  await new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  delays.sort((a, b) => a - b);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const streamed = (byRoute['responses.stream']?.total ?? 0) > 0;
  return {
    source: name,
    drops,
    requestsPerJob: mean(requests),
    connectionsPerJob: streamed ? mean(connections) : undefined,
    p50: quantile(delays, 0.5),
    p95: quantile(delays, 0.95),
    max: delays.at(-1) ?? Number.NaN,
    ended: delays.length,
  };
}

/** Every connection drops after `perConnection` events, so a 29-event stream is cut `k` times. */
const dropEvery = (perConnection: number): SimFaults => ({
  stream: { probability: 1, dropAfter: perConnection, routes: ['responses.stream'] },
});

const rtt = await roundTrip();
const rows: Row[] = [];
rows.push(await measure('`poll()` (default)', '–', () => poll()));
rows.push(
  await measure("`webhookSource(hub, { fetch: 'when-needed', createdJustNow: true })`", '–', (hub) =>
    webhookSource(hub, { fetch: 'when-needed', createdJustNow: true }),
  ),
);
rows.push(await measure('`stream()`', '0', () => stream()));
rows.push(await measure('`stream()`', '1', () => stream(), dropEvery(Math.ceil(EVENTS / 2))));
rows.push(await measure('`stream()`', '3', () => stream(), dropEvery(Math.ceil(EVENTS / 4))));

const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(x < 10 ? 1 : 0)} ms` : '–');
const table = [
  '| source | drops per stream | requests per job | connections per job | requests per connection | detection p50 | p95 | max | ended |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows
    .map((r) =>
      [
        r.source,
        r.drops,
        r.requestsPerJob.toFixed(2),
        r.connectionsPerJob === undefined ? '–' : r.connectionsPerJob.toFixed(2),
        r.connectionsPerJob === undefined ? '–' : (r.requestsPerJob / r.connectionsPerJob).toFixed(2),
        ms(r.p50),
        ms(r.p95),
        ms(r.max),
        `${r.ended}/${JOBS}`,
      ].join(' | '),
    )
    .map((line) => `| ${line} |`),
].join('\n');

const streams = rows.filter((r) => r.connectionsPerJob !== undefined);
const worstRatio = Math.max(...streams.map((r) => r.requestsPerJob / r.connectionsPerJob!));
const goal = 50 + rtt.p50;
const byDrops = streams
  .map((r) => `${r.drops} drops: ${r.p95 <= goal ? 'met' : 'missed'} (p95 ${ms(r.p95)})`)
  .join('; ');
const body = `Measured by \`npm run bench:stream\` (${JOBS} background responses per row, ${CONCURRENCY} watched at a time, created
with \`stream: true\`; queued 100–400 ms, then in progress for a lognormal time (median 1.5 s, at most 5 s) while
writing ${WORDS} words; real time, simulator and watches in one process). Every row watches the same responses (same seed). Requests per job
count every request that named the job except its create: retrieves and stream connections.

Local round trip of one retrieve: p50 ${ms(rtt.p50)}, p95 ${ms(rtt.p95)}.

${table}

Goals: ≤ 1 request per connection: ${worstRatio <= 1 ? 'met' : 'missed'} (worst ${worstRatio.toFixed(2)}). Detection p95 ≤ 50 ms + the
local round trip p50 (${ms(goal)}): ${byDrops}.`;

console.log(body);
if (
  JOBS === 100 &&
  CONCURRENCY === 10 &&
  writeDocSection('docs/benchmarks.md', 'Stream', 'bench:stream', body)
) {
  console.log('\nwrote docs/benchmarks.md (## Stream)');
}
