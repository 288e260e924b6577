// Benchmark 3, overhead, on the wall clock, reported as ratios measured in one run:
// - webhook ingest: requests per second of createWebhookHub(...).node vs a bare node:http server that only runs
//   client.webhooks.unwrap, both fed validly signed, distinct deliveries by autocannon;
// - heap per idle watched run at 10,000 runs: watchRun vs the seed's loop as a pending async function.
// Run: npm run bench:overhead [-- --rounds 4 --amount 20000 --runs 10000]
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { generateWebhookSecret, signWebhook } from '../src/sim/index.js';
import { START_READ_CONCURRENCY, START_READ_JITTER_MS } from '../src/sources/read-gate.js';
import { option } from './lib/args.js';
import { writeDocSection } from './lib/doc-markers.js';
import { bundle } from './lib/overhead-bundle.js';
import type { StepCost } from './lib/overhead-ingest-cpu.js';
import type { IngestMode } from './lib/overhead-ingest-server.js';
import { retrieveOverhead } from './lib/overhead-retrieve.js';
import { retrieveInstructions } from './lib/overhead-retrieve-instr.js';
import { telemetryOverhead } from './lib/overhead-telemetry.js';
import { hasValgrind } from './lib/overhead-telemetry-instr.js';

const ROUNDS = option('rounds', 4);
const AMOUNT = option('amount', 20_000);
const CONNECTIONS = 10;
const RUNS = option('runs', 10_000);
// CPU per retrieve (bench/lib/overhead-retrieve.ts): fresh-process rounds, then the in-process alternations that
// the verdict and the price of the machine's repeats are taken from, then the same side by side (about 12 min).
const RETRIEVE = {
  rounds: option('retrieve-rounds', 2),
  watches: 300,
  everyMs: 1000,
  durationMs: option('retrieve-seconds', 4) * 1000,
  warmupMs: option('retrieve-warmup-seconds', 10) * 1000,
  alternate: {
    processes: option('retrieve-processes', 3),
    pairs: option('retrieve-pairs', 4),
    windowMs: option('retrieve-window-seconds', 4) * 1000,
    jitWarmupMs: option('retrieve-jit-warmup-seconds', 15) * 1000,
  },
  every: { processes: option('retrieve-every-processes', 2), pairs: option('retrieve-every-pairs', 2) },
  twin: {
    runs: option('retrieve-twin-runs', 3),
    windows: option('retrieve-twin-windows', 10),
    windowMs: option('retrieve-twin-window-seconds', 3) * 1000,
  },
};
const RETRIEVE_DEFAULT =
  RETRIEVE.rounds === 2 &&
  RETRIEVE.durationMs === 4000 &&
  RETRIEVE.warmupMs === 10_000 &&
  RETRIEVE.alternate.processes === 3 &&
  RETRIEVE.alternate.pairs === 4 &&
  RETRIEVE.alternate.windowMs === 4000 &&
  RETRIEVE.alternate.jitWarmupMs === 15_000 &&
  RETRIEVE.every.processes === 2 &&
  RETRIEVE.every.pairs === 2 &&
  RETRIEVE.twin.runs === 3 &&
  RETRIEVE.twin.windows === 10 &&
  RETRIEVE.twin.windowMs === 3000;
const INGEST_TARGET = 0.85;
const HEAP_TARGET = 8 * 1024;

// ── webhook ingest ───────────────────────────────────────────────────────────────────────────────────────────

/** The part of autocannon's programmatic API used here (the package ships no types). */
interface AutocannonResult {
  duration: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number };
}
interface AutocannonRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
  onResponse?: (status: number) => void;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  amount: number;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Every endpoint variant, from the bare baseline to the whole hub (see bench/lib/overhead-ingest-server.ts). */
const ENDPOINTS: readonly IngestMode[] = ['bare', 'bare-headers', 'verifier', 'receiver', 'hub'];

async function startEndpoint(
  mode: IngestMode,
  secret: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(ingestServer, [mode, secret], {
    // OVERHEAD_CPU_PROF=<dir> profiles every endpoint (to see where the hub spends its time).
    execArgv: process.env.OVERHEAD_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.OVERHEAD_CPU_PROF}`]
      : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`${mode} endpoint exited (${code})`)));
  });
  child.removeAllListeners('exit');
  return { url: `http://127.0.0.1:${port}/webhooks/openai`, child };
}

let batch = 0;
/** `n` deliveries, each with its own webhook-id and event id, signed now (well within the 300 s tolerance). */
function signedDeliveries(secret: string, n: number): AutocannonRequest[] {
  const b = batch++;
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) => {
    const id = `wh_${b}_${i}`;
    const body = JSON.stringify({
      id: `evt_${b}_${i}`,
      object: 'event',
      type: 'response.completed',
      created_at: now,
      data: { id: `resp_${b}_${i}` },
    });
    return {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(now),
        'webhook-signature': signWebhook(secret, id, now, body),
      },
    };
  });
}

/** Sends `amount` distinct deliveries over CONNECTIONS keep-alive connections; requests per second. */
async function fire(url: string, secret: string, amount: number) {
  const deliveries = signedDeliveries(secret, amount);
  let next = 0;
  // setupRequest runs for every request of every connection: a shared counter hands out each delivery once.
  let lastResponse = 0;
  const started = performance.now();
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    amount,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => ({ ...request, ...deliveries[next++ % amount]! }),
        onResponse: () => {
          lastResponse = performance.now();
        },
      },
    ],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0)
    throw new Error(`${url}: ${bad} requests failed (non-2xx ${result.non2xx}, errors ${result.errors})`);
  // autocannon reports (and resolves) on its one-second ticks: time the round from the first request to the
  // last response instead.
  const seconds = (lastResponse - started) / 1000;
  return { rps: result['2xx'] / seconds, p50: result.latency.p50, p99: result.latency.p99 };
}

type Round = Record<IngestMode, Awaited<ReturnType<typeof fire>>>;

async function measureIngest(): Promise<Round[]> {
  const secret = generateWebhookSecret();
  const endpoints = new Map<IngestMode, { url: string; child: ChildProcess }>();
  for (const mode of ENDPOINTS) endpoints.set(mode, await startEndpoint(mode, secret));
  try {
    // Warm up every endpoint (JIT, connections), unmeasured.
    for (const e of endpoints.values()) await fire(e.url, secret, Math.min(5000, AMOUNT));
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // One round visits every endpoint in turn, so drift of the machine (heat, other load) hits them alike.
      const round = {} as Round;
      for (const mode of ENDPOINTS) round[mode] = await fire(endpoints.get(mode)!.url, secret, AMOUNT);
      rounds.push(round);
      console.error(
        `  ingest round ${r + 1}: ${ENDPOINTS.map((m) => `${m} ${round[m].rps.toFixed(0)}/s`).join(', ')}`,
      );
    }
    return rounds;
  } finally {
    for (const e of endpoints.values()) e.child.disconnect();
  }
}

// ── heap per idle watch ──────────────────────────────────────────────────────────────────────────────────────

interface HeapResult {
  mode: string;
  n: number;
  bytesPerWatch: number;
  heapAfter: number;
  startMs: number;
}

interface LagResult {
  mode: string;
  n: number;
  lagP99Ms: number;
  lagMaxMs: number;
  windowMs: number;
}

function lag(mode: string, n: number): LagResult {
  return runHeapScript<LagResult>(mode, n, 'lag');
}

interface CpuResult {
  mode: string;
  n: number;
  seedUs: number;
  watchUs: number;
  ratio: number;
}

/** CPU to start one watch, and one seed's loop in the same process just before (the baseline of the ratio). */
function startCpu(mode: string, n: number): CpuResult {
  return runHeapScript<CpuResult>(mode, n, 'cpu');
}

function heap(mode: string, n: number): HeapResult {
  return runHeapScript<HeapResult>(mode, n);
}

/** One fresh `node --expose-gc` process of the bundled heap script: its last line of output, parsed. */
function runHeapScript<T>(mode: string, n: number, what?: 'lag' | 'cpu'): T {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', heapScript, mode, String(n), ...(what ? [what] : [])],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as T;
}

// ── run ──────────────────────────────────────────────────────────────────────────────────────────────────────

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const t0 = performance.now();
// The endpoints and the heap script run bundled as the package is built, not through tsx (see lib/overhead-bundle.ts).
const ingestServer = await bundle(new URL('./lib/overhead-ingest-server.ts', import.meta.url));
const heapScript = await bundle(new URL('./lib/overhead-heap.ts', import.meta.url));

// The telemetry rows (bench/lib/overhead-telemetry.ts), in their own section of docs/benchmarks.md. Alone, with
// `OVERHEAD_ONLY=telemetry npm run bench:overhead` (about 5 min, and 15 to 40 min per round of instruction counts).
const TELEMETRY_ROUNDS = option('telemetry-rounds', 3);
// Instruction counts under callgrind: 15 to 40 min a round on a loaded machine (`--instruction-rounds 0` skips).
const INSTRUCTION_ROUNDS = option('instruction-rounds', 1);
async function writeTelemetry(): Promise<void> {
  const body = await telemetryOverhead({
    rounds: TELEMETRY_ROUNDS,
    durationMs: 8000,
    heap,
    heapRuns: RUNS,
    instructionRounds: INSTRUCTION_ROUNDS,
  });
  console.log(body);
  if (RUNS === 10_000 && TELEMETRY_ROUNDS === 3 && INSTRUCTION_ROUNDS >= 1) {
    writeDocSection('docs/benchmarks.md', 'Telemetry overhead', 'bench:overhead:telemetry', body);
  }
}
if (process.env.OVERHEAD_ONLY === 'telemetry') {
  await writeTelemetry();
  process.exit(0);
}
// The CPU-per-retrieve rows alone (about 12 min), printed, not written: `OVERHEAD_ONLY=retrieve npm run bench:overhead`
// (smaller: `-- --retrieve-rounds 1 --retrieve-processes 2 --retrieve-pairs 2 --retrieve-every-processes 1 --retrieve-twin-runs 1`).
// Instructions per retrieve in steady state (bench/lib/overhead-retrieve-instr.ts, valgrind; about 5 min), printed:
// `OVERHEAD_ONLY=retrieve-instructions npm run bench:overhead`.
if (process.env.OVERHEAD_ONLY === 'retrieve-instructions') {
  if (!hasValgrind()) throw new Error('the instruction counts need valgrind (apt-get install valgrind)');
  console.log(
    await retrieveInstructions({
      count: option('retrieve-instruction-count', 2000),
      watches: option('retrieve-instruction-watches', 100),
      warmupMs: option('retrieve-instruction-warmup-seconds', 100) * 1000,
    }),
  );
  process.exit(0);
}
if (process.env.OVERHEAD_ONLY === 'retrieve') {
  const only = await retrieveOverhead(RETRIEVE);
  console.log(only.markdown);
  process.exit(0);
}
console.error(`overhead bench: ${ROUNDS} ingest rounds of ${AMOUNT} deliveries, heap at ${RUNS} idle runs`);

const rounds = await measureIngest();
const ratios = rounds.map((r) => r.hub.rps / r.bare.rps);
const ingestRatio = median(ratios);
const cpuSteps = JSON.parse(
  execFileSync(
    process.execPath,
    [
      await bundle(new URL('./lib/overhead-ingest-cpu.ts', import.meta.url)),
      generateWebhookSecret(),
      '20000',
    ],
    { encoding: 'utf8' },
  ),
) as StepCost[];
console.error(`  ingest done (${((performance.now() - t0) / 1000).toFixed(0)} s)`);

const heapLoads = [loadavg()[0]!];
const heaps = ['seed', 'watch-poll', 'watch-webhook', 'watch-hybrid', 'watch-budget'].map((mode) => {
  const r = heap(mode, RUNS);
  console.error(`  heap ${mode}: ${kib(r.bytesPerWatch)}`);
  return r;
});
const [seed, watchPoll, watchWebhook, watchHybrid, watchBudget] = heaps as [
  HeapResult,
  HeapResult,
  HeapResult,
  HeapResult,
  HeapResult,
];
// The event loop while the watches start and idle (a separate process per source: no forced GC in the window).
const lags = new Map(
  ['watch-poll', 'watch-webhook', 'watch-hybrid', 'watch-budget'].map((mode) => {
    const r = lag(mode, RUNS);
    console.error(`  lag ${mode}: p99 ${r.lagP99Ms.toFixed(1)} ms, max ${r.lagMaxMs.toFixed(1)} ms`);
    return [mode, r] as const;
  }),
);
// CPU to start one watch (process.cpuUsage over RUNS starts), beside the seed's loop in the same process: three
// processes per source, the median of each.
const CPU_ROUNDS = 3;
const starts = new Map(
  ['watch-poll', 'watch-webhook', 'watch-hybrid', 'watch-budget'].map((mode) => {
    const rs = Array.from({ length: CPU_ROUNDS }, () => startCpu(mode, RUNS));
    const r = {
      watchUs: median(rs.map((x) => x.watchUs)),
      seedUs: median(rs.map((x) => x.seedUs)),
      ratio: median(rs.map((x) => x.ratio)),
    };
    console.error(
      `  start cpu ${mode}: ${r.watchUs.toFixed(1)} µs (seed ${r.seedUs.toFixed(1)} µs, ${r.ratio.toFixed(1)}×)`,
    );
    return [mode, r] as const;
  }),
);
heapLoads.push(loadavg()[0]!);
const seedStartUs = median([...starts.values()].map((r) => r.seedUs));
// CPU per retrieve: a poll watch beside a bare SDK retrieve loop (issue 21 part 4).
const retrieve = await retrieveOverhead(RETRIEVE);
// The same in instructions, once V8's compiler has settled (about 5 min; `--instruction-rounds 0` skips it too).
const retrieveInstr =
  INSTRUCTION_ROUNDS > 0 && hasValgrind()
    ? await retrieveInstructions({ count: 2000, watches: 100, warmupMs: 100_000 })
    : '(No steady-state instruction counts: valgrind is not installed, or the instruction rounds were set to 0.)';
// 100,000 idle poll() watches in one process: the heap they take, against the 1 GiB goal.
const LARGE = 100_000;
const large = heap('watch-poll', LARGE);
const largeHeapMiB = large.heapAfter / 2 ** 20;
console.error(`  heap of ${LARGE} poll watches: ${largeHeapMiB.toFixed(0)} MiB`);

// Where the bytes of one watch go, measured part by part (smaller n: each part alone).
const BISECT = Math.min(RUNS, 5000);
const parts = [
  ['timer', 'one `asyncScheduler` timer (what each idle poll waited on before the poll loop)'],
  [
    'rx-shell',
    "watchRun's RxJS shell: AbortController, meter, nudge `Subject`, `share` + `ReplaySubject`, a timer",
  ],
  ['poll-source', '`poll()` source subscribed alone, with its context (one entry of the poll loop)'],
  [
    'actor-shared-machine',
    'XState actor (root + invoked source child + system) on one machine shared by all',
  ],
  ['actor-provided', 'actor of the machine provided once + `poll()` source (what a woken watch adds)'],
] as const;
const bisect = parts.map(([mode, what]) => {
  const r = heap(mode, BISECT);
  console.error(`  heap part ${mode}: ${kib(r.bytesPerWatch)}`);
  return { what, ...r };
});
console.error(`  heap done (${((performance.now() - t0) / 1000).toFixed(0)} s)`);

const LAYER: Record<IngestMode, string> = {
  bare: 'bare `node:http`: read the body, `client.webhooks.unwrap(body, req.headers, secret)`, 200',
  'bare-headers': '+ headers copied into a Fetch `Headers` (as the node adapter does) before `unwrap`',
  verifier: "+ the hub's verifier (`createWebhookVerifier`) instead of a bare `unwrap`",
  receiver: "+ the hub's node adapter and receiver (method, size limit, idempotency claim), no routing",
  hub: '`createWebhookHub({ secret }).node`: + routing, events held for late watches, `events$`',
};
const ingestTable = [
  '| endpoint (each row adds one layer) | deliveries/s (median) | × bare (median of rounds) | p50 / p99 latency (ms) |',
  '| --- | --- | --- | --- |',
  ...ENDPOINTS.map((m) => {
    const rel = median(rounds.map((r) => r[m].rps / r.bare.rps));
    const name = m === 'hub' ? `**${LAYER[m]}**` : LAYER[m];
    const x = m === 'hub' ? `**${rel.toFixed(2)}×**` : `${rel.toFixed(2)}×`;
    return `| ${name} | ${median(rounds.map((r) => r[m].rps)).toFixed(0)} | ${x} | ${median(rounds.map((r) => r[m].p50))} / ${median(rounds.map((r) => r[m].p99))} |`;
  }),
].join('\n');

const START_TARGET_US = 50;
const LAG_TARGET_MS = 20;
const GIB = 2 ** 30;
const startUs = (mode: string | undefined) => (mode ? starts.get(mode)!.watchUs : seedStartUs);
const heapRows: [string, HeapResult, string | undefined][] = [
  ["the seed's loop: a pending `async` function awaiting its sleep", seed, undefined],
  ['`watchRun` + `poll()` (first poll in 1 h)', watchPoll, 'watch-poll'],
  ['`watchRun` + `webhookSource(hub)` (reads at start waiting at the gate)', watchWebhook, 'watch-webhook'],
  ['`watchRun` + `hybrid(hub)` (the same, and a fallback poll)', watchHybrid, 'watch-hybrid'],
  ['`watchRun` + `createPollBudget(...).poll()` (first poll in 1 h)', watchBudget, 'watch-budget'],
];
const heapTable = [
  `| ${RUNS.toLocaleString('en')} idle runs, watched by | heap per run | × the seed's loop | start: CPU per run | start: × the seed's loop (same process) | event loop while idle: p99 / max |`,
  '| --- | --- | --- | --- | --- | --- |',
  ...heapRows.map(([label, r, mode]) => {
    const l = mode ? lags.get(mode) : undefined;
    const lagCell = l ? `${l.lagP99Ms.toFixed(1)} ms / ${l.lagMaxMs.toFixed(0)} ms` : '—';
    const ratio = mode ? `${starts.get(mode)!.ratio.toFixed(1)}×` : '1.0×';
    return `| ${label} | ${kib(r.bytesPerWatch)} | ${(r.bytesPerWatch / seed.bytesPerWatch).toFixed(1)}× | ${startUs(mode).toFixed(1)} µs | ${ratio} | ${lagCell} |`;
  }),
].join('\n');

const bisectTable = bisect.length
  ? [
      `| part, measured alone (${BISECT.toLocaleString('en')} each) | heap per watch |`,
      '| --- | --- |',
      ...bisect.map((b) => `| ${b.what} | ${kib(b.bytesPerWatch)} |`),
    ].join('\n')
  : '';

const micros = cpuSteps.map((c) => c.micros);
const [unwrapPlain, receiver, routing] = [micros[0]!, micros[4]!, micros[5]!];
const layerRel = ENDPOINTS.map((m) => median(rounds.map((r) => r[m].rps / r.bare.rps)));
const worstLayer = ENDPOINTS.slice(1)
  .map((m, k) => ({ name: `\`${m}\``, from: layerRel[k]!, to: layerRel[k + 1]! }))
  .reduce((a, b) => (b.from - b.to > a.from - a.to ? b : a));
const cpuTable = [
  '| step (in-process, no HTTP; 20,000 deliveries in chunks of 500, median chunk) | CPU per delivery | × bare `unwrap` |',
  '| --- | --- | --- |',
  ...cpuSteps.map(
    (c) => `| ${c.step} | ${c.micros.toFixed(1)} µs | ${(c.micros / unwrapPlain).toFixed(2)}× |`,
  ),
].join('\n');

const ingestVerdict =
  ingestRatio >= INGEST_TARGET
    ? `Target met: the hub ingests ${ingestRatio.toFixed(2)}× the bare baseline (≥ ${INGEST_TARGET}×).`
    : `Target missed: the hub ingests ${ingestRatio.toFixed(2)}× the bare baseline, ${((INGEST_TARGET - ingestRatio) * 100).toFixed(0)} points under ${INGEST_TARGET}×.`;
const watchRows = heapRows.filter(([, , mode]) => mode !== undefined);
const overHeap = watchRows.filter(([, r]) => r.bytesPerWatch > HEAP_TARGET);
const overStart = watchRows.filter(([, , mode]) => startUs(mode) > START_TARGET_US);
const overLag = [...lags.values()].filter((l) => l.lagP99Ms >= LAG_TARGET_MS);
const heapVerdict = [
  overHeap.length === 0
    ? `Heap: target met, every source ≤ 8 KiB per idle watch.`
    : `Heap: target missed by ${overHeap.map(([label, r]) => `${label.split(' (')[0]} (${kib(r.bytesPerWatch)}, ${(r.bytesPerWatch / HEAP_TARGET).toFixed(2)}×)`).join(', ')}; met by the others.`,
  overStart.length === 0
    ? `Start: target met, ≤ ${START_TARGET_US} µs of CPU per watch for every source.`
    : `Start: target missed by ${overStart.map(([label, , mode]) => `${label.split(' (')[0]} (${startUs(mode).toFixed(0)} µs)`).join(', ')}, against ≤ ${START_TARGET_US} µs; met by the others.`,
  overLag.length === 0
    ? `Event loop: target met, p99 < ${LAG_TARGET_MS} ms while ${RUNS.toLocaleString('en')} watches idle, for every source.`
    : `Event loop: target missed by ${overLag.map((l) => `${l.mode} (p99 ${l.lagP99Ms.toFixed(1)} ms)`).join(', ')}.`,
  `100,000 idle \`poll()\` watches: ${largeHeapMiB.toFixed(0)} MiB of heap in one process (${kib(large.bytesPerWatch)} per watch), ${large.heapAfter < GIB ? 'under' : 'over'} the 1 GiB goal.`,
].join('\n');

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const heapLoad = `${Math.min(...heapLoads).toFixed(1)} to ${Math.max(...heapLoads).toFixed(1)}`;
const output = `
Wall clock, ${cpus().length} × ${cpu}, Node ${process.versions.node}; both numbers are ratios measured in the same run.
Generated by \`npm run bench:overhead\` (${((performance.now() - t0) / 1000).toFixed(0)} s).

### Webhook ingest

${ingestTable}

${ingestVerdict}

Where the time goes, step by step (the HTTP rounds above are noisy when other processes share the two cores):

${cpuTable}

Verification dominates both endpoints: \`unwrap\` imports the key through WebCrypto and computes the HMAC on every
delivery (the SDK's code, the same in both). In-process, the hub's receiver (verifier, checks, idempotency claim)
plus routing cost ${((receiver + routing) / unwrapPlain).toFixed(2)}× a bare \`unwrap\` in this run (steps a few µs apart are within this
machine's noise: compare the two \`unwrap\` rows). Over HTTP, the layer that costs most is ${worstLayer.name}
(${worstLayer.from.toFixed(2)}× → ${worstLayer.to.toFixed(2)}× bare); since the receiver itself is cheap, most of that drop is the node adapter's
per-request work: its own size-limited body reader (four listeners added and removed per request), the
\`Headers\` copy, an extra promise hop before the answer and a \`setImmediate\` per delivered event. Findings for
the owners of \`src/webhooks/\`, not changed here: the node adapter's reader is the first candidate, then
verifying on \`req.headers\` directly (the verifier only needs \`get\`). The HTTP rounds move by ±10% with other
load on the machine; the ratio is the median of per-round ratios.

autocannon (programmatic, ${CONNECTIONS} keep-alive connections) sends ${AMOUNT.toLocaleString('en')} deliveries per round, ${ROUNDS}
rounds visiting every endpoint in turn after an unmeasured warm-up. Every delivery is validly signed (Standard
Webhooks, the simulator's \`signWebhook\`) with its own \`webhook-id\` and event: a pool signed up front, handed out once
each through \`setupRequest\`, so the hub's idempotency store never short-cuts a duplicate. Each endpoint runs in its
own process (its own core), bundled as the package is built (esbuild, no \`keepNames\`: under tsx every closure
pays for a \`defineProperty\` of its name); autocannon runs in this one. The bare endpoint reads the body and awaits
\`client.webhooks.unwrap(body, req.headers, secret)\`; the hub adds what a real endpoint needs: the size limit,
method check, Headers conversion, refusals with reasons, the idempotency store, routing to watches (held for late
subscribers) and its counters.

### Heap per idle watched run

${heapTable}

${heapVerdict}

Each row is a fresh \`node --expose-gc\` process running the bundled script: ${RUNS.toLocaleString('en')} watches are started (after 200 unmeasured ones), and the
heap is read with \`process.memoryUsage().heapUsed\` after \`global.gc()\` before and after. All watches share one
OpenAI client, whose base URL refuses connections: a poll watch requests nothing while measured (its first poll is in
an hour); a webhook-fed watch reads its job once at start, and those reads go through the client's start gate (at
most ${START_READ_CONCURRENCY} at once, each after a jitter of up to ${START_READ_JITTER_MS} ms), so nearly all of them wait there while
measured. The start columns are another fresh process per source, three times (medians): ${RUNS.toLocaleString('en')} of the seed's
loops started, then ${RUNS.toLocaleString('en')} watches, each timed with \`process.cpuUsage\` (user + system, the collector
included). The event loop column is another fresh process per source: the same watches started, then
\`monitorEventLoopDelay\` (1 ms resolution) over the next 3 s with no forced GC. Load average while the heap
and start rows ran: ${heapLoad}.

### CPU per retrieve

${retrieve.markdown}

${retrieveInstr}

Where a watch's retrieve spends more than the bare loop's (issue 21, part 4):
- the method, first: until an earlier session's run the windows measured 2 s after their start, each after a forced
  \`global.gc()\`. V8's optimising compiler was then still at work on its helper threads, and the collector was
  rebuilding its young generation after the forced collection: about a third of the CPU measured, in both modes,
  more for the watch (it brings more code to compile), and a retrieve cost 750 to 1,000 µs bare where it costs
  about 500 µs in steady state. Each process now runs each mode for 15 s before its windows, and nothing forces a
  collection; the split by thread above shows what is left on the helper threads;
- the request as a watch sends it: since that run, without an \`AbortSignal\`. openai 7.60 composes a caller's
  signal with its own on every request (\`createRequestController\`: \`AbortSignal.any\`, whose weak references keep
  each request's objects alive through the young generation's collections; a signal that is not an \`AbortSignal\`
  takes a listener path with a \`WeakRef\` and a finalizer instead). A signal per retrieve costs the bare loop itself
  1.11× in one process when it was priced so (4 pairs, 1.06× to 1.29×; the fresh-process table keeps its row), and
  about 5 KiB more allocated per retrieve. A poll's read is now dropped rather
  than aborted when its watch stops or is nudged (docs/polling.md, "Stopping"); \`.withResponse()\` (for the headers
  the budget and server hints read) and \`maxRetries: 0\` remain, within the fresh processes' noise;
- applying an answer that changes nothing but its time (the machine's transition for a same-state status event,
  the user's snapshot and its change key): 5.2 µs, was 8.5 µs (\`bench/lib/overhead-apply-cpu.ts snap\`, 20,000
  events sent to one actor, \`process.cpuUsage\`, load average about 3; 5.0 µs, was 9.7 µs, with the events spread
  over 300 actors). Most of the difference was one copy: XState applies every \`assign\` as
  \`Object.assign({}, context, update)\`, and the first status event added a key the context lacked
  (\`sourceNote\`), which made that copy, and every copy after it, a dictionary-mode object (4.9 µs per copy of
  the 20-key context, against 0.7 µs for one with fast properties). The context now has all its keys from the start
  and 19 of them (\`fault\` is set only as the watch ends; 20 keys built by XState's first assign onto \`{}\`
  would be dictionary-mode from the start on this V8); test/machines/run.machine.test.ts checks that no transition
  adds a key;
- a poll's request no longer adds and removes an abort listener on the watch's signal (an \`EventTarget\` listener,
  and its options, per retrieve): \`poll()\` and the budget listen once per watch and drop the request in flight
  when the signal aborts;
- cut before: a poll's retrieve is one Observable instead of three subscribers (the request, \`map\`,
  \`catchError\`);
- a read that repeats the machine's latest observation stays out of the machine: a watch fed
  by one of the library's polls, with no \`inspect\`, \`onPersist\`, \`seed\` or \`snapshot\`, leaves out a read made while
  the machine rests (\`queued\`, \`in_progress\`, \`cancelling\`) with the same state, status, source, note and expiry
  and a job equal key for key to its latest (src/watch/repeat.ts, docs/architecture.md). The machine would only
  have recorded the read's newer time, which serves only to tell a stale event from another source, and the user
  would have seen no new snapshot. test/watch/repeat.test.ts checks the rule against the machine's own transitions
  in every state it can reach. The first table's last two rows price it (a copy of the poll is a source of one's
  own, whose every read goes through the machine): 0.97× and 0.85× in two runs, pairs from 0.68× to 1.53×. The
  comparison itself costs about 1.2 µs for a response (\`sameJson\` with \`Object.keys\`; 1.7 µs with \`for…in\`);
- the method, side by side: in one process the pairs of windows range widely on this machine
  (0.70× to 1.29× in one run), and per-process medians moved from 0.88× to 1.17× in one run. Two processes started
  together, each measuring the same seconds, share whatever else the machine does in those seconds. Their ratios
  held from 1.06× to 1.07× in one run (0.96× to 1.11× in the other), and the bare loop beside itself gave 0.98× in
  both: the method's own spread. The verdict now asks for ≤ 1.0× from both methods;
- the wake-ups, the last 6 % side by side: a poll watch's process woke more often than the bare loop's. Over 15 s
  of 300 jobs a second side by side (\`perf stat -e syscalls:sys_enter_epoll_pwait\` on each process), the bare
  loop's event loop polled 5,300 to 6,300 times, the watch's 6,000 to 7,000; each wake-up is a turn of the event
  loop and a sleep in the kernel, and what it runs starts on a colder cache. Node starts each timer from the event
  loop's time, read once per turn, so the seed's loops answered in one turn wake together a second later; the poll
  loop read each next due time from the clock as it handled the answer, so answers that arrived together spread over
  the milliseconds their handling took, and woke the process apart. On the real clock the poll loop now wakes on
  multiples of 10 ms (\`REAL_TIME_WAKE_GRID_MS\` in src/sources/poll-loop.ts, docs/polling.md): a poll goes out up
  to 10 ms after it is due, never before, and the watches due within the same 10 ms share a wake-up. In the same
  15 s: 3,600 to 4,200 polls of the event loop. Due times read once per turn instead (a trial, not kept: it needs a
  hook into the event loop, and counts each delay from the start of the turn) also gave 3,600, and 0.99×, which
  confirms the cause; a grid of 4 ms left the wake-ups and the CPU nearly where they were (1.08×). The side-by-side
  table's wake-up column counts the main thread's waits that blocked, which tell the same story;
- instructions in steady state (\`OVERHEAD_ONLY=retrieve-instructions npm run bench:overhead\`, valgrind; rows in
  the table below): counted over 2,000 retrieves once V8's compiler has little left to do. The telemetry section's
  instruction rows count from retrieve 100, when the compiler is still half of what a retrieve executes;
- what was left before the wake-ups were found: about 6 % side by side. A CPU profile in steady state (the
  inspector's \`Profiler\` every 50 µs for 7 s after a 20 s warm-up, the bundled script, each mode in its own
  process) puts runstate's own JavaScript at about 23 µs per retrieve: the key-for-key comparison, 7.5 µs of it
  before its \`Object.keys\` form; the poll loop's pump, settle and timer queue, about 5 µs; the relay, 1 µs. RxJS takes about 3 µs (the read's Observable, the timer's
  \`AsyncAction\`), and XState nothing. The whole main thread in that profile was about 570 µs for the watch against
  600 µs bare, a difference within the profile's spread. \`--trace-gc-nvp\` over 10 s of the two modes side by side
  gave 119 KB allocated per retrieve in both, and 16.7 KB promoted for the watch against 15.8 KB bare. The last
  profile's 34 µs of XState per retrieve was mostly elsewhere: the macrostep alone costs about 5 µs
  (\`bench/lib/overhead-apply-cpu.ts\`), and sampling every 100 µs charges a sample to whatever runs at that instant.
  What was skipped is thus more than the transition: the new context, machine snapshot and job that each read kept
  alive for a period, promoted by the collector. Under heavy load (average above 20) the watch process falls behind
  its schedule first, which makes the ratio worse (1.5× to 1.7× in such rounds, with an older method).
${
  bisectTable
    ? `
Parts of a watch, each measured alone (what the first version of this section bisected; watchRun now holds only the
first three while idle: the actor of the last two rows starts at the first event):

${bisectTable}

What changed, and where the bytes of an idle watch still go (a heap snapshot diff of 2,000 idle \`poll()\` watches,
\`HEAP_PROFILE=<prefix>\` on the heap script):

1. The machine is provided once (\`watchMachine\` in src/watch/watch-actors.ts, its actors find their watch through
   the actor system), and an idle watch holds **no actor**: watchRun subscribes the source itself
   (src/watch/source-relay.ts) and starts the actor at the first event, the deadline or an abort; its source child
   adopts the subscription. Restored watches, watches with \`onPersist\` and inspected watches start theirs at once.
2. \`poll()\` is **one entry in a timer queue per scheduler** (src/sources/poll-loop.ts, a heap and one timer, as the
   budget's), not an operator chain and a timer per watch; the deadline of an idle watch waits in another
   (src/internal/timer-queue.ts). The webhook and hybrid pipelines are written out instead of composed.
   watchRun shares a watch among its subscribers with \`shareLatest\` (src/watch/share-latest.ts), the
   \`share\` + \`ReplaySubject(1)\` contract written out.
3. Then (issue 21, part 1): the request counter is a class instance (the object literal with a getter was about
   half a KiB of every watch: two closures, their context and a property dictionary); a job's one webhook watcher is
   kept in the router without a \`Set\`; the webhook part subscribes to the hub itself and queues its read at start
   among the events (no layer of "arrivals", no \`Set\` of seen events until an event comes); hybrid's default
   fallback poll is made once rather than per \`hybrid(hub)\` call (its resolved schedules were 1.3 KiB a watch), and
   a plain \`poll()\` fallback runs inside hybrid's own subscription, as an entry of the poll loop reporting to
   hybrid's sink and nudged directly (no \`Subject\`, no second subscription to the nudges, no copy of the context).
4. Then (issue 21, part 1, the cuts the round before named), bytes per idle watch after each step, 10,000 watches
   (poll, webhook, hybrid, budget): 7.3, 7.6, 9.5, 7.2 KiB before;
   - the read at start of a webhook-fed watch waits at the client's gate as a bare entry (a \`GateReader\` of
     src/sources/read-gate.ts: no subscription until its turn), and the webhook part (\`WebhookWatch\` in
     src/sources/webhook.ts: the hub's observer, the gate's reader, the abort listener and the teardown) and
     hybrid's watch are one object each instead of closures: 7.3, 6.5, 8.0, 7.2 KiB;
   - a \`watchRun\` subscription is one \`WatchSession\` object with methods instead of about 15 closures over one
     scope, and the relay is its source's observer itself: 6.4, 5.7, 7.1, 6.4 KiB;
   - the library's sources keep their nudge listener on watchRun's context as a function (\`listenNudges\`,
     src/internal/watch-context.ts) instead of an RxJS subscription, and add no abort listener to it (the watch
     unsubscribes its source before it stops): 5.7, 5.4, 6.2, 5.7 KiB;
   - the session feeds \`shareLatestOf\` directly (a connect function and a sink), with no Observable and no second
     subscriber between them: 5.2, 4.8, 5.7, 5.1 KiB;
   - timer entries are objects (\`DueHeap.add\` returns the entry, its \`cancel()\` drops it) instead of two closures
     per wait, a poll watch is its own abort listener, and arrays that mostly hold one item start as literals (V8
     sizes an array made by \`push\` for 17): 4.6, 4.5, 5.1, 4.8 KiB;
   - the context (\`WatchContext\`) makes its \`AbortSignal\` and nudge \`Subject\` on first use: own accessors with one
     shared getter (V8 keeps them in the hidden class, nothing per object), so a spread copy (\`{ ...ctx, nudge$ }\`)
     is still a whole context; the sources ask \`isAborted(ctx)\`, which makes no signal: 3.8, 3.6, 4.2, 3.9 KiB.
5. Left, about 3.8 KiB for a poll watch (a heap snapshot diff of 2,000; about 0.4 KiB of it is the bench's own job
   ref, id strings and \`() => {}\` observer): two RxJS subscriber layers, the caller's and the relay's subscription
   to the source (\`SafeSubscriber\`, \`ConsumerObserver\` and the \`_finalizers\` array that RxJS's \`push\` sizes for 17:
   about 0.35 KiB each); plain objects, about 0.9 KiB: the first snapshot kept for late subscribers and its parts,
   its change key, the watch's input, the plan of the \`watchRun\` call; the watch's own objects, about 0.9 KiB
   (\`WatchSession\`, \`WatchContext\`, \`SourceRelay\`, \`SharedLatest\` and its \`Connection\`, \`PollWatch\` with its
   \`WatchSchedule\` and \`JobAge\`, two \`DueEntry\`s, the meter); and the closures still made per \`watchRun\` call (the
   connect function, shareLatest's subscribe and teardown, the tick callback, the poll's nudge listener) with their
   contexts, about 0.7 KiB. A webhook-fed watch has its hub subscription (one more subscriber layer), its
   \`WebhookWatch\` and its \`GateEntry\` instead of the poll entry; hybrid has both parts and a \`HybridWatch\`. Next
   cuts, if they are ever needed: the library's sources started into the relay without an Observable (one
   subscriber layer, about 0.35 KiB), and the first snapshot built when a late subscriber asks for it.
6. Start CPU (\`process.cpuUsage\` over ${RUNS.toLocaleString('en')} starts, the seed's loops started in the same process as the baseline,
   so the ratio holds when other jobs load the machine): a CPU profile of 30,000 \`hybrid(hub)\` starts (\`node
   --cpu-prof\` on the bundled heap script, \`cpu\` mode) spent 46 % in the garbage collector before these cuts, and
   60 % after the first four steps: the start costs what it allocates and keeps. The largest single item was the
   \`AbortController\` (about 1.4 KiB allocated per watch, its signal's listener map included, and 4.5 % of the
   profile besides the collector): it is no longer made at start. Before these cuts, one run each at load average 0.8,
   the four sources took 49, 44, 62 and 46 µs (the table before them: 49, 51, 65 and 53 µs at 21 to 26); after
   them, medians of three at 5 to 6, 30, 28, 35 and 32 µs.
7. Then (issue 21, part 1, a fifth session): the heap script calls \`poll({...})\` for every watch, as \`poll()\`'s own
   TSDoc example does, and that call was about 5 µs of a 38 µs start. Of it, about 2.3 µs were the two \`WeakSet\`s
   that marked the source as a plain poll and as ordered (an entry in a weak table per source); the rest resolved
   the same schedule into a new record of seven kinds each time. The marks are now non-enumerable symbol properties
   (a copy, \`{ ...poll() }\`, still carries neither), the last schedule set for every kind is reused while its option
   values match, and the default retry policy and the kinds' defaults are shared: 1.3 µs a call. A webhook-fed
   watch's look at the hub's store at start is no longer an async function, and the memory store answers "nothing
   kept" with one shared promise. Bytes allocated per start (the sampling heap profiler, 20,000 watches less
   10,000): poll 7.3 → 6.0 KB, webhook 8.2 → 7.5 KB, hybrid 8.8 → 8.4 KB. Start CPU, the code before and after in
   alternating processes, medians of three: poll 34 → 33 µs, budget 37 → 32, hybrid 37 → 33, webhook 31 → 34 (the
   runs of one mode spread by ±20 % on this machine, so only the allocation is a settled figure).
`
    : ''
}`;

console.log(output);
await writeTelemetry();
if (RUNS !== 10_000 || ROUNDS !== 4 || AMOUNT !== 20_000 || !RETRIEVE_DEFAULT) {
  console.error('not the default run: docs/benchmarks.md left alone');
} else if (writeDocSection('docs/benchmarks.md', 'Overhead', 'bench:overhead', output)) {
  console.error('wrote the Overhead section of docs/benchmarks.md');
} else {
  console.error(
    'docs/benchmarks.md or its "## Overhead" section does not exist yet: not written (re-run later)',
  );
}
