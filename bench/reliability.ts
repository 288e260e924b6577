// Benchmark: reliability (issue 9). The fault matrix at full size (1,000 jobs with poll(), hybrid and the shared
// budget), the cost of the webhook source's read at start, ≥ 10,000 hostile webhook requests on node:http and on the
// Web handler, and the memory store's bytes per id.
// Run: npm run bench:reliability [-- --jobs 1000 --hostile 10000]. Only the default sizes write docs/reliability.md
// and the "Webhook read at start" section of docs/benchmarks.md. With `--kinds agent.session` (and optionally
// `--modes poll,stream`) only the fault matrix runs, on those kinds' fates, and prints its table.
import { cpus } from 'node:os';
import { mulberry32 } from '../src/sim/scenario/random.js';
import { createWebhookHub, memoryIdempotencyStore, type WebhookHub } from '../src/webhooks/index.js';
import { makeWebhookSecret } from '../test/helpers/sign-webhook.js';
import { listenHub } from '../test/helpers/webhook-server.js';
import {
  FATES,
  type MatrixMode,
  type MatrixReport,
  runFaultMatrix,
} from '../test/reliability/fault-matrix.js';
import { type Built, build, HOSTILE, type Kind, MAX_BODY } from '../test/reliability/hostile-requests.js';
import { option, textOption } from './lib/args.js';
import { writeDocSection } from './lib/doc-markers.js';

const JOBS = option('jobs', 1000);
const HOSTILE_REQUESTS = option('hostile', 10_000);
const VALID = Math.round(HOSTILE_REQUESTS / 10);
const COST_JOBS = FATES.length * 10;
const CONCURRENCY = 32;
const KINDS = textOption('kinds')?.split(',');
const MODES = (textOption('modes')?.split(',') ?? [
  'poll',
  'hybrid',
  'budget',
  ...(KINDS ? ['stream'] : []),
]) as MatrixMode[];
const DEFAULT_RUN =
  JOBS === 1000 && HOSTILE_REQUESTS === 10_000 && KINDS === undefined && textOption('modes') === undefined;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:reliability does)');
const heap = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

const t0 = performance.now();
const progress = (what: string) =>
  console.error(`  ${what} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);

const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const s1 = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : 'n/a');
const ms1 = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(1) : 'n/a');
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

// ── 1. the fault matrix ──────────────────────────────────────────────────────────────────────────────────────

const LABELS: Record<MatrixMode, string> = {
  poll: '`poll()`',
  hybrid: '`hybrid(hub)`',
  budget: '`createPollBudget({ rpm: 6000 }).poll()`',
  webhook: "`webhookSource(hub, { fetch: 'when-needed' })`",
  stream: '`stream()`',
};

console.error(`reliability bench: ${JOBS} jobs per mode, ${HOSTILE_REQUESTS} hostile requests per transport`);
const matrix: MatrixReport[] = [];
for (const mode of MODES) {
  matrix.push(await runFaultMatrix({ mode, jobs: JOBS, ...(KINDS ? { kinds: KINDS } : {}) }));
  progress(`fault matrix, ${mode}`);
}

function matrixTable(reports: readonly MatrixReport[]): string {
  const lines = [
    '| watches | outcomes right | wrong | unknown (said so) | retrieves (per job) | 429s / 5xx / resets served | detection delay mean / p50 / p95 / max (s) | terminal snapshots > 1 | handler runs twice | submissions after a 2xx / refused resubmissions | tool rounds unanswered | wall s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of reports) {
    const delays = r.jobs.flatMap((j) => (j.delayMs === undefined ? [] : [j.delayMs])).sort((a, b) => a - b);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    const unknown = r.jobs.filter((j) => j.unknown);
    const why = [...new Set(unknown.map((j) => j.watch))].join(', ');
    lines.push(
      `| ${LABELS[r.mode]} | ${r.right} / ${r.jobs.length} | ${r.wrong.length} | ${unknown.length}${why ? ` (${why})` : ''} | ` +
        `${r.retrieves} (${(r.retrieves / r.jobs.length).toFixed(1)}) | ${r.rateLimited} / ${r.serverErrors} / ${r.dropped} | ` +
        `${s1(mean)} / ${s1(quantile(delays, 0.5))} / ${s1(quantile(delays, 0.95))} / ${s1(delays.at(-1) ?? Number.NaN)} | ` +
        `${r.duplicateTerminals} | ${r.doubleHandlerRuns} of ${r.handlerRuns} | ${r.doubleSubmissions} / ${r.refusedResubmissions} | ${r.roundsUnanswered} of ${r.roundsReached} | ${(r.wallMs / 1000).toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

if (KINDS !== undefined) {
  // A filtered run: the matrix alone, printed, no docs written.
  console.log(`Fault matrix, ${JOBS} jobs per mode, fates of ${KINDS.join(', ')} only:\n`);
  console.log(matrixTable(matrix));
  const streams = matrix.filter((r) => r.mode === 'stream');
  for (const r of streams)
    console.log(`\nstream(): ${r.streamsDropped} event streams cut mid-stream by faults`);
  process.exit(0);
}

// ── 2. the read at start ─────────────────────────────────────────────────────────────────────────────────────

const cost: { mode: MatrixMode; createdJustNow: boolean; report: MatrixReport }[] = [];
for (const mode of ['webhook', 'hybrid'] as const) {
  for (const createdJustNow of [true, false]) {
    cost.push({
      mode,
      createdJustNow,
      report: await runFaultMatrix({ mode, jobs: COST_JOBS, faults: {}, createdJustNow }),
    });
  }
}
progress('read at start');

function costTable(): string {
  const lines = [
    '| source | `createdJustNow` | outcomes right | retrieves per job | extra per job |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const { mode, createdJustNow, report } of cost) {
    const perJob = report.retrieves / report.jobs.length;
    const base = cost.find((c) => c.mode === mode && c.createdJustNow)!.report;
    const extra = perJob - base.retrieves / base.jobs.length;
    lines.push(
      `| ${LABELS[mode]} | ${createdJustNow} | ${report.right} / ${report.jobs.length} | ${perJob.toFixed(2)} | ${createdJustNow ? '(baseline)' : `+${extra.toFixed(2)}`} |`,
    );
  }
  return lines.join('\n');
}

// ── 3. hostile load ──────────────────────────────────────────────────────────────────────────────────────────

interface LoadResult {
  transport: string;
  hostile: number;
  valid: number;
  latencies: number[];
  hostileDelivered: number;
  validDeliveredOnce: number;
  validDeliveredTwice: number;
  statuses: Record<string, number>;
  fiveHundreds: number;
  wallMs: number;
  heapGrowth: number;
}

type Send = (request: Built) => Promise<number>;

async function transport(
  name: 'node:http' | 'Web handler',
  hub: WebhookHub,
): Promise<{ send: Send; close(): Promise<void> }> {
  if (name === 'Web handler') {
    return {
      send: async (r) =>
        (
          await hub.handler(
            new Request('http://hub.test/webhooks', { method: r.method, headers: r.headers, body: r.body }),
          )
        ).status,
      close: async () => {},
    };
  }
  const server = await listenHub(hub);
  return {
    send: async (r) => {
      try {
        const res = await fetch(server.url, { method: r.method, headers: r.headers, body: r.body });
        await res.arrayBuffer();
        return res.status;
      } catch {
        return 0;
      }
    },
    close: server.close,
  };
}

async function load(name: 'node:http' | 'Web handler', hostile: number, valid: number): Promise<LoadResult> {
  const random = mulberry32(7);
  const kinds: Kind[] = [
    ...Array.from({ length: hostile }, (_, i) => HOSTILE[i % HOSTILE.length]!),
    ...Array.from({ length: valid }, () => 'valid' as const),
  ];
  // Shuffle (seeded), keeping the first request valid so replays have something to aim at.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const secret = makeWebhookSecret();
  const requests = build(kinds, secret, ['', '%%', '\t', '"}]}', 'x'.repeat(64)]);
  const hub = createWebhookHub({ secret, maxBodyBytes: MAX_BODY });
  const sentAt = new Map<string, number>();
  const deliveries = new Map<string, number>();
  const latencies: number[] = [];
  let hostileDelivered = 0;
  hub.events$.subscribe((e) => {
    const id = String(e.data.id);
    if (!id.startsWith('resp_valid_')) {
      hostileDelivered++;
      return;
    }
    deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
    const at = sentAt.get(id);
    if (at !== undefined && deliveries.get(id) === 1) latencies.push(performance.now() - at);
  });
  const { send, close } = await transport(name, hub);
  const before = heap();
  const wall = performance.now();
  const statuses: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < requests.length; i = next++) {
      const r = requests[i]!;
      if (r.kind === 'valid') sentAt.set(`resp_valid_${i}`, performance.now());
      const status = await send(r);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const wallMs = performance.now() - wall;
  const heapGrowth = heap() - before;
  await close();
  latencies.sort((a, b) => a - b);
  const counts = [...deliveries.values()];
  return {
    transport: name,
    hostile,
    valid,
    latencies,
    hostileDelivered,
    validDeliveredOnce: counts.filter((n) => n === 1).length,
    validDeliveredTwice: counts.filter((n) => n > 1).length,
    statuses,
    fiveHundreds: Object.entries(statuses)
      .filter(([s]) => Number(s) >= 500)
      .reduce((n, [, c]) => n + c, 0),
    wallMs,
    heapGrowth,
  };
}

const loads: LoadResult[] = [];
for (const name of ['node:http', 'Web handler'] as const) {
  loads.push(await load(name, 0, VALID));
  loads.push(await load(name, HOSTILE_REQUESTS, VALID));
  progress(`hostile load, ${name}`);
}

function loadTable(): string {
  const lines = [
    '| transport | hostile + valid requests | hostile delivered | valid delivered once / twice | 5xx | valid-delivery latency p50 / p95 / max (ms) | requests/s | heap growth (MiB) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of loads) {
    const total = r.hostile + r.valid;
    lines.push(
      `| ${r.transport} | ${r.hostile.toLocaleString('en')} + ${r.valid.toLocaleString('en')} | ${r.hostileDelivered} | ${r.validDeliveredOnce} / ${r.validDeliveredTwice} | ${r.fiveHundreds} | ` +
        `${ms1(quantile(r.latencies, 0.5))} / ${ms1(quantile(r.latencies, 0.95))} / ${ms1(r.latencies.at(-1) ?? Number.NaN)} | ` +
        `${Math.round(total / (r.wallMs / 1000)).toLocaleString('en')} | ${mib(r.heapGrowth)} |`,
    );
  }
  return lines.join('\n');
}

// ── 4. memory store: bytes per id ────────────────────────────────────────────────────────────────────────────

const IDS = 100_000;
const store = memoryIdempotencyStore({ maxEntries: IDS });
const emptyHeap = heap();
const signedAt = Date.now();
for (let i = 0; i < IDS; i++) {
  await store.claim(`wh_${(i * 2654435761).toString(16).padStart(8, '0')}${i.toString(36)}`, {
    signedAt,
    replayableUntil: signedAt + 300_000,
    receivedAt: signedAt,
  });
}
const bytesPerId = (heap() - emptyHeap) / IDS;
if (store.size !== IDS) throw new Error(`store kept ${store.size} ids, expected ${IDS}`);
progress('memory store');

// ── output ───────────────────────────────────────────────────────────────────────────────────────────────────

const host = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;
const totalS = ((performance.now() - t0) / 1000).toFixed(0);
const statusLine = (r: LoadResult) =>
  Object.entries(r.statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([s, n]) => `${s === '0' ? 'no answer' : s}: ${n}`)
    .join(', ');
const hostileRows = loads.filter((r) => r.hostile > 0);

const reliabilityBody = `
${host}. Generated by \`npm run bench:reliability\` (${totalS} s in all).

### Fault matrix: ${JOBS.toLocaleString('en')} jobs per row

${matrixTable(matrix)}

Every kind with every outcome it can have (${FATES.length} fates in rotation: responses completed, failed, incomplete
and cancelled; batches completed, failed, cancelled and expired; runs completed, failed, incomplete, cancelled and
expired, and runs answering two rounds of tool calls; fine-tunes, eval runs and vector store file batches completed,
failed and cancelled; agent sessions completed and failed, and sessions answering two rounds of function calls
through events.create), created at once, then watched at once while the simulator
answers about 20% of requests with 429, 10% with 5xx and resets 5% of connections; submissions (runs' and sessions' events) and cancels also
get 10% 5xx and 5% resets *after* the write landed. Webhooks: 10% lost, 20% tripled, 20% held back behind a later
one. The simulator runs on its manual clock, moved from one due timer to the next whenever nothing is in flight
(\`test/reliability/fault-matrix.ts\`, shared with the CI test): the simulated times do not depend on this
machine's load.

- **Right** means the watch's terminal state is the simulator's final status for the job. **Wrong** would be a
  terminal state the server does not have. **Unknown** is a watch that ended saying it does not know (an error with
  a \`code\`, or \`timed_out\`): not wrong, but counted.
- **Detection delay**: the watch's terminal snapshot − the job's end (or the watches' start, when the job ended
  before), simulated seconds.
- **Submissions after a 2xx**: a watcher sending outputs again for calls already answered with a 2xx (must be 0).
  **Refused resubmissions**: after an answer was lost (5xx or reset after the write landed), the watch re-reads the
  run; if it still lists the same calls (the status can read \`requires_action\` for a moment after a submission),
  it submits again and the API refuses the repeat. Counted on the simulator.

### Hostile webhook traffic

${loadTable()}

${HOSTILE_REQUESTS.toLocaleString('en')} hostile requests (the ${HOSTILE.length} kinds of \`test/reliability/hostile-requests.ts\` in rotation: replays of valid
deliveries, wrong method, a missing header, another secret, a tampered body, stale and future timestamps, signed
non-JSON, signed non-events, bodies over \`maxBodyBytes\` (${MAX_BODY} B here), garbage signatures, a real delivery's
id signed with another key) shuffled among ${VALID.toLocaleString('en')} valid deliveries, ${CONCURRENCY} in flight at
a time; the rows with 0 hostile requests are the baseline of the same run (they run first, on a cold JIT, hence
their higher latency). Latency is from sending a valid delivery
to its event on \`hub.events$\`. node:http is a real socket (\`listenHub\`, the SDK-free \`fetch\` of Node); the
Web handler is called in process. Answers under load: ${hostileRows.map((r) => `${r.transport}: ${statusLine(r)}`).join('; ')}.
Heap growth is after \`gc()\`, with the hub's default memory store holding every id accepted (about 1,800 ids: under
0.5 MiB); a negative figure is the previous row's sockets and buffers collected during the row, i.e. noise of a few MiB.

### Memory bound of the replay window

The in-memory store takes **${bytesPerId.toFixed(0)} bytes per remembered id** (${IDS.toLocaleString('en')} ids, heap after \`gc()\`).
The default bound, 100,000 ids, is then about ${mib(bytesPerId * 100_000)} MiB, and covers the 300 s tolerance up to about
${Math.floor(100_000 / 300)} deliveries a second.
`;

const costBody = `
Retrieves per job with and without \`createdJustNow\` (${COST_JOBS} jobs of every fate, created then watched at once,
no faults). Generated by \`npm run bench:reliability\`.

${costTable()}

A webhook-fed watch reads its job once when it starts, unless the hub held or stored an event about it, so that a
job that ended before the watch (its webhook delivered earlier, or to an instance that has since died) is not
waited for until \`maxWaitMs\` ([webhooks.md](webhooks.md#the-read-at-start)). That read is the whole extra cost:
one retrieve per job whose hub knows nothing yet, which \`createdJustNow: true\` saves when the caller has just
created the job.
`;

console.log(reliabilityBody);
console.log(costBody);
if (!DEFAULT_RUN) {
  console.error('not the default sizes: docs left alone');
} else {
  const wrote = [
    writeDocSection('docs/reliability.md', 'Measured', 'bench:reliability', reliabilityBody),
    writeDocSection('docs/benchmarks.md', 'Webhook read at start', 'bench:reliability', costBody),
  ];
  console.error(
    `docs/reliability.md ${wrote[0] ? 'written' : 'NOT written'}, docs/benchmarks.md ${wrote[1] ? 'written' : 'NOT written'}`,
  );
}
