// The fault matrix (issue 9, the kinds of issue 18 added): jobs of every kind and outcome, watched through the official SDK against the
// simulator while it injects 429s, 5xx, dropped connections and webhook drops, duplicates and reordering. Shared by
// test/reliability/fault-matrix.sim.test.ts (a few hundred jobs) and bench/reliability.ts (1,000 per mode).
import OpenAI from 'openai';
import { lastValueFrom, toArray } from 'rxjs';
import {
  createPollBudget,
  createWebhookHub,
  hybrid,
  isRunstateError,
  type JobRef,
  poll,
  type RunSnapshot,
  type Source,
  stream,
  watchRun,
  webhookSource,
} from '../../src/index.js';
import { adapters } from '../../src/kinds/index.js';
import { kindSpec } from '../../src/kinds/registry.js';
import {
  type ManualClock,
  type Scenario,
  type SimFaults,
  type Simulator,
  simScheduler,
  startSimulator,
} from '../../src/sim/index.js';
import { createAgentSession } from '../helpers/agent-session.js';
import { createEvalRun, createFileBatch, createFineTune } from '../helpers/more-kinds.js';
import { makeWebhookSecret } from '../helpers/sign-webhook.js';
import { listenHub } from '../helpers/webhook-server.js';

/**
 * How the jobs are watched: `poll()` each, `hybrid(hub)` each, one shared `createPollBudget`, or
 * `webhookSource(hub, { fetch: 'when-needed' })` each.
 */
export type MatrixMode = 'poll' | 'hybrid' | 'budget' | 'webhook' | 'stream';

/** One kind of job and how its script ends. */
export interface Fate {
  kind: JobRef['kind'];
  scenario: Scenario;
  /** Rounds of tool calls, answered by the matrix's handlers. */
  tools?: boolean;
  /** OpenAI sends no webhook for this kind (file batches): the webhook-only mode polls it. */
  noWebhooks?: boolean;
}

const WORK = { dist: 'lognormal', median: 4000, sigma: 0.8, max: 30_000 } as const;
const PHASES = { queued: [100, 1000], in_progress: WORK, validating: 500, finalizing: 500 } as const;
const expiring = { outcome: 'expired', expiresAfterMs: 20_000, phases: { ...PHASES, in_progress: 60_000 } };

/** Every kind with every outcome it can have, and runs with two rounds of tool calls. */
export const FATES: readonly Fate[] = [
  ...(['completed', 'failed', 'incomplete', 'cancelled'] as const).map((outcome) => ({
    kind: 'response' as const,
    scenario: { outcome, phases: PHASES },
  })),
  ...(['completed', 'failed', 'cancelled'] as const).map((outcome) => ({
    kind: 'batch' as const,
    scenario: { outcome, phases: PHASES, anyInputFile: true },
  })),
  { kind: 'batch', scenario: { ...expiring, anyInputFile: true } as Scenario },
  ...(['completed', 'failed', 'incomplete', 'cancelled'] as const).map((outcome) => ({
    kind: 'assistants.run' as const,
    scenario: { outcome, phases: PHASES },
  })),
  { kind: 'assistants.run', scenario: expiring as Scenario },
  // The kinds of issue 18: every end each can have (none of them expires on the server).
  ...(['fine_tuning.job', 'eval.run', 'vector_store.file_batch'] as const).flatMap((kind) =>
    (['completed', 'failed', 'cancelled'] as const).map((outcome) => ({
      kind,
      scenario: { outcome, phases: PHASES, ...(kind === 'fine_tuning.job' ? { anyInputFile: true } : {}) },
      ...(kind === 'vector_store.file_batch' ? { noWebhooks: true } : {}),
    })),
  ),
  {
    kind: 'assistants.run',
    tools: true,
    scenario: {
      outcome: 'completed',
      phases: PHASES,
      submitLagMs: [0, 800],
      toolCalls: [
        [{ name: 'get_weather', arguments: { city: 'Paris' } }],
        [
          { name: 'get_time', arguments: { zone: 'UTC' } },
          { name: 'get_weather', arguments: { city: 'Oslo' } },
        ],
      ],
    },
  },
  ...(['completed', 'failed'] as const).map((outcome) => ({
    kind: 'agent.session' as const,
    scenario: { outcome, phases: PHASES },
  })),
  {
    kind: 'agent.session',
    tools: true,
    scenario: {
      outcome: 'completed',
      phases: PHASES,
      toolCalls: [
        [{ name: 'get_weather', arguments: { city: 'Paris' } }],
        [
          { name: 'get_time', arguments: { zone: 'UTC' } },
          { name: 'get_weather', arguments: { city: 'Oslo' } },
        ],
      ],
    },
  },
];

/**
 * The faults of the reproduction: about 20% 429s, 10% 5xx, 5% resets (and, on writes, 5xx and resets
 * after the write landed); webhooks lost, tripled, reordered.
 */
export const MATRIX_FAULTS: SimFaults = {
  rateLimit: { probability: 0.2, retryAfterMs: 1000 },
  serverError: [
    ...[500, 502, 503, 504].map((status) => ({ probability: 0.025, status: status as 500 })),
    // Writes whose answer is lost after they landed: the watch must find out, not guess.
    {
      probability: 0.1,
      status: 502,
      afterHandling: true,
      routes: ['runs.submitToolOutputs', 'sessions.events.create', '*.cancel'],
    },
  ],
  drop: [
    { probability: 0.05 },
    {
      probability: 0.05,
      afterHandling: true,
      routes: ['runs.submitToolOutputs', 'sessions.events.create', '*.cancel'],
    },
  ],
  webhooks: {
    drop: { probability: 0.1 },
    duplicate: { probability: 0.2, copies: 2 },
    reorder: { probability: 0.2, holdMs: 2000 },
  },
  // Streams (mode `stream`: agent sessions' sessions.events.stream) dropped mid-stream, or before any event.
  stream: [
    { probability: 0.3, dropAfter: 2 },
    { probability: 0.1, dropAfter: 0 },
  ],
};

/** Options of {@link runFaultMatrix}. */
export interface MatrixOptions {
  mode: MatrixMode;
  jobs: number;
  seed?: number;
  faults?: SimFaults;
  /** The shared budget's rpm (mode `budget`). Default 6000. */
  rpm?: number;
  /** Modes `hybrid` and `webhook`: the jobs were created just now (no read at start). Default false. */
  createdJustNow?: boolean;
  /** Only the fates of these kinds (`['agent.session']`). Default: every fate. */
  kinds?: readonly string[];
}

/** The fates a matrix run deals out in rotation: every one, or those of `kinds`. */
export function fatesOf(kinds: readonly string[] | undefined): readonly Fate[] {
  if (kinds === undefined) return FATES;
  const fates = FATES.filter((f) => kinds.includes(f.kind));
  if (fates.length === 0) throw new Error(`fault matrix: no fate of kinds ${kinds.join(', ')}`);
  return fates;
}

/** How one watch ended, against what the server says. */
export interface MatrixJob {
  ref: JobRef;
  /** The server's final status, mapped onto runstate's states. */
  server: string | undefined;
  /** The watch's terminal state, or `error:<code>` when it errored. */
  watch: string;
  right: boolean;
  /** The watch ended without an outcome (an error, or `timed_out`): not wrong, but counted. */
  unknown: boolean;
  /** Terminal snapshots the watch emitted (must be 1, or 0 after an error). */
  terminalSnapshots: number;
  /** The error's message, or the terminal snapshot's note. */
  detail: string | undefined;
  /** Watcher's terminal snapshot time − the job's end (or the watches' start, if later), simulator clock, ms. */
  delayMs: number | undefined;
}

/** What one matrix run found. */
export interface MatrixReport {
  mode: MatrixMode;
  jobs: MatrixJob[];
  right: number;
  wrong: MatrixJob[];
  unknown: number;
  /** Watches with more than one terminal snapshot. */
  duplicateTerminals: number;
  /** Tool call ids whose handler ran more than once. */
  doubleHandlerRuns: number;
  handlerRuns: number;
  /** Submissions sent for calls whose earlier submission had been answered 2xx: a watcher submitting twice. */
  doubleSubmissions: number;
  /**
   * Submissions the simulator refused (4xx other than 429) because the run no longer waited for those calls:
   * resubmissions after an answer was lost (5xx or reset after the write landed, and a re-read that still showed
   * the same calls) are refused by the API, which is what makes them safe. Counted on the simulator.
   */
  refusedResubmissions: number;
  submissionsAccepted: number;
  /** Rounds of tool calls the runs reached on the server (requires_action with new calls). */
  roundsReached: number;
  /**
   * Rounds the server asked for and never got (the run left requires_action for anything but queued, or still
   * waited at the end): a watch that ended without answering a round it could have seen. Counted on the simulator.
   */
  roundsUnanswered: number;
  retrieves: number;
  rateLimited: number;
  serverErrors: number;
  dropped: number;
  /** Event streams cut mid-stream (mode `stream`). */
  streamsDropped: number;
  webhooks: { dropped: number; duplicated: number; reordered: number; delivered: number };
  wallMs: number;
  heapGrowthBytes: number;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'expired', 'incomplete']);

/** Runs one matrix: creates the jobs, sets the faults, watches every job at once, and checks each outcome. */
export async function runFaultMatrix(options: MatrixOptions): Promise<MatrixReport> {
  const secret = makeWebhookSecret();
  const hub = createWebhookHub({ secret });
  const server = await listenHub(hub);
  let routed = 0;
  const routing = hub.events$.subscribe(() => routed++);
  const traffic = trackedFetch();
  // A manual clock, moved by the driver below from one due callback to the next once the run is quiet: a
  // discrete-event run, as fast as the CPU allows, whose simulated times do not depend on the machine's load.
  const sim = await startSimulator({
    clock: 'manual',
    seed: options.seed ?? 9,
    webhooks: { url: server.url, secret },
    // The matrix watches Assistants runs by webhook and hybrid too: the simulator's own thread.run.* events.
    runWebhooks: true,
    // Through the tracked fetch too, so that a webhook on its way to the hub counts as a request in flight.
    webhookDelivery: { retryDelaysMs: [5000, 30_000], fetch: traffic.fetch },
  });
  const activity: Activity = { sim, traffic, unrouted: () => hub.stats().accepted - routed };
  try {
    const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0, fetch: traffic.fetch });
    const created = await createJobs(client, options.jobs, fatesOf(options.kinds));
    sim.setFaults(options.faults ?? MATRIX_FAULTS);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const wall = performance.now();
    const startedAt = sim.clock.now();
    const scheduler = simScheduler(sim.clock);
    const budget =
      options.mode === 'budget' ? createPollBudget({ rpm: options.rpm ?? 6000, scheduler }) : undefined;
    const createdJustNow = options.createdJustNow ?? false;
    const source = (fate: Fate): Source => {
      if (options.mode === 'webhook' && fate.noWebhooks) return poll();
      switch (options.mode) {
        case 'poll':
          return poll();
        case 'hybrid':
          return hybrid(hub, undefined, { createdJustNow });
        case 'budget':
          return budget!.poll();
        case 'webhook':
          return webhookSource(hub, { fetch: 'when-needed', createdJustNow });
        case 'stream':
          // Agent sessions stream (sessions.events.stream); the other kinds here fall back to polling.
          return stream();
      }
    };
    const handled = new Map<string, number>();
    const handler = (_args: unknown, call: { id: string }) => {
      handled.set(call.id, (handled.get(call.id) ?? 0) + 1);
      return 'ok';
    };
    const tools = { get_weather: handler, get_time: handler };

    let settled = 0;
    const watching = Promise.all(
      created.map(async ({ ref, fate }) => {
        try {
          const snapshots = await lastValueFrom(
            watchRun({
              client,
              job: ref,
              source: source(fate),
              scheduler,
              ...(fate.tools ? { tools } : {}),
            }).pipe(toArray()),
          );
          return { ref, snapshots, error: undefined };
        } catch (error) {
          return { ref, snapshots: [] as RunSnapshot[], error };
        } finally {
          settled++;
        }
      }),
    );
    await drive(activity, () => settled === created.length);
    const watched = await watching;
    const wallMs = performance.now() - wall;
    global.gc?.();
    const heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore;
    // Every job ends by its script (a watch that gave up early leaves its job running): compare with its end.
    await drive(activity, () => created.every(({ ref }) => sim.job(jobIdOf(ref))?.endedAt != null));
    return report(options.mode, sim, watched, handled, traffic.submissions, {
      startedAt,
      wallMs,
      heapGrowthBytes,
    });
  } finally {
    routing.unsubscribe();
    await sim.close();
    await server.close();
  }
}

async function createJobs(
  client: OpenAI,
  count: number,
  fates: readonly Fate[],
): Promise<{ ref: JobRef; fate: Fate }[]> {
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini', name: 'matrix' });
  const jobs = new Array<{ ref: JobRef; fate: Fate }>(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const fate = fates[i % fates.length]!;
      const metadata = { sim_scenario: JSON.stringify(fate.scenario) };
      if (fate.kind === 'fine_tuning.job') {
        jobs[i] = { ref: await createFineTune(client, fate.scenario), fate };
      } else if (fate.kind === 'eval.run') {
        jobs[i] = { ref: await createEvalRun(client, fate.scenario), fate };
      } else if (fate.kind === 'vector_store.file_batch') {
        jobs[i] = { ref: await createFileBatch(client, fate.scenario), fate };
      } else if (fate.kind === 'response') {
        const r = await client.responses.create({
          model: 'gpt-4o-mini',
          input: `job ${i}`,
          background: true,
          metadata,
        });
        jobs[i] = { ref: { kind: 'response', id: r.id }, fate };
      } else if (fate.kind === 'batch') {
        const b = await client.batches.create({
          input_file_id: 'file-matrix',
          endpoint: '/v1/responses',
          completion_window: '24h',
          metadata,
        });
        jobs[i] = { ref: { kind: 'batch', id: b.id }, fate };
      } else if (fate.kind === 'agent.session') {
        const s = await createAgentSession(client, {
          environment: { type: 'none' },
          input: `job ${i}`,
          metadata,
        });
        jobs[i] = { ref: { kind: 'agent.session', sessionId: s.id }, fate };
      } else {
        const thread = await client.beta.threads.create({});
        const run = await client.beta.threads.runs.create(thread.id, {
          assistant_id: assistant.id,
          metadata,
        });
        jobs[i] = { ref: { kind: 'assistants.run', threadId: thread.id, runId: run.id }, fate };
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return jobs;
}

const jobIdOf = (ref: JobRef) => kindSpec(ref.kind).jobId(ref);

/** One tool-output submission as the watcher sent it: its call ids, and what came back. */
interface Submission {
  callIds: string;
  /** The HTTP status, or 0 when the connection died without an answer. */
  status: number;
  /** Whether an earlier submission of the same calls had already been answered 2xx when this one was sent. */
  afterSuccess: boolean;
}

/** A fetch that counts requests in flight, the body included, so the driver knows when the watchers are idle. */
function trackedFetch() {
  let inflight = 0;
  let waiters: (() => void)[] = [];
  const submissions: Submission[] = [];
  const landed = new Set<string>();
  return {
    submissions,
    get inflight() {
      return inflight;
    },
    /** Resolves once no request is in flight. */
    idle: () => (inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    fetch: (async (input, init) => {
      inflight++;
      const url = String(input instanceof Request ? input.url : input);
      let sent: Submission[] = [];
      if (url.endsWith('/submit_tool_outputs') && typeof init?.body === 'string') {
        const outputs = (JSON.parse(init.body) as { tool_outputs: { tool_call_id: string }[] }).tool_outputs;
        const callIds = outputs
          .map((o) => o.tool_call_id)
          .sort()
          .join(',');
        sent = [{ callIds, status: 0, afterSuccess: landed.has(callIds) }];
      } else if (url.endsWith('/events') && init?.method === 'POST' && typeof init.body === 'string') {
        // An agent session is answered call by call: one submission per call id.
        const events = (JSON.parse(init.body) as { events: { call_id?: string; request_id?: string }[] })
          .events;
        sent = events
          .map((e) => e.call_id ?? e.request_id)
          .filter((id): id is string => id !== undefined)
          .map((callIds) => ({ callIds, status: 0, afterSuccess: landed.has(callIds) }));
      }
      submissions.push(...sent);
      try {
        const response = await fetch(input, init);
        for (const submission of sent) {
          submission.status = response.status;
          if (response.ok) landed.add(submission.callIds);
        }
        // An event stream (an agent session's) stays open for as long as its watch: in flight until its headers
        // only; what it brings later is set off by the clock moving, as a due callback is.
        if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return response;
        const body = await response.arrayBuffer();
        return new Response(body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
      } finally {
        inflight--;
        if (inflight === 0) {
          for (const resolve of waiters) resolve();
          waiters = [];
        }
      }
    }) as typeof fetch,
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Simulated ms the clock moves past the next due callback in one step: callbacks due within it fire in order, each
 * at its own time, and the requests they send are answered within the step (as if the network took up to this).
 */
const STEP_MS = 100;

/** What the driver watches to know the run is quiet. */
interface Activity {
  sim: Simulator<ManualClock>;
  /** Every request: the watchers' to the simulator and the simulator's webhook attempts to the hub. */
  traffic: { readonly inflight: number; idle(): Promise<void> };
  /** Webhooks the hub accepted (answered 2xx) but has not routed to their watch yet: it routes on a later task. */
  unrouted(): number;
}

/**
 * Resolves once the run is quiet: no request in flight, no callback due on the clock, no accepted webhook left to
 * route, and still so after the promise callbacks those last settled set off have run. Everything a watcher, the
 * simulator or the hub does next starts from one of these (a response, a due callback, a routed webhook) and runs
 * as promise callbacks until it sends a request or arms a callback on the clock; one turn of the event loop runs
 * every pending promise callback, so a quiet check after it cannot miss work under way, however loaded the machine.
 */
async function quiet({ sim, traffic, unrouted }: Activity): Promise<void> {
  for (;;) {
    await sim.flushWebhooks();
    // Fires every callback already due (a zero delay, a retry whose time has come) before time moves.
    await sim.clock.advance(0);
    await traffic.idle();
    await turn();
    const next = sim.clock.nextAt;
    const due = next !== undefined && next <= sim.clock.now();
    if (traffic.inflight === 0 && !due && unrouted() <= 0) return;
  }
}

/**
 * Moves the manual clock to the next due callback (and {@link STEP_MS} on) whenever the run is {@link quiet}, until
 * `done()`.
 */
async function drive(activity: Activity, done: () => boolean): Promise<void> {
  const { sim } = activity;
  while (!done()) {
    await quiet(activity);
    if (done()) return;
    const next = sim.clock.nextAt;
    if (next === undefined)
      throw new Error('fault matrix: nothing in flight and nothing scheduled, yet not done');
    await sim.clock.set(Math.max(next, sim.clock.now()) + STEP_MS);
  }
}

function report(
  mode: MatrixMode,
  sim: Simulator<ManualClock>,
  watched: { ref: JobRef; snapshots: RunSnapshot[]; error: unknown }[],
  handled: Map<string, number>,
  submissions: readonly Submission[],
  run: { startedAt: number; wallMs: number; heapGrowthBytes: number },
): MatrixReport {
  const { startedAt, wallMs, heapGrowthBytes } = run;
  const stats = sim.stats();
  const jobs = watched.map(({ ref, snapshots, error }): MatrixJob => {
    const stat = stats.jobs[jobIdOf(ref)];
    // An idle session's outcome is its latest turn's (completed, or cancelled): the server's own record of it.
    const serverStatus =
      stat?.status === 'idle' && stat.turnStatus !== undefined ? stat.turnStatus : stat?.status;
    const server = serverStatus !== undefined ? adapters[ref.kind].mapStatus(serverStatus) : undefined;
    const last = snapshots.at(-1);
    const terminalSnapshots = snapshots.filter((s) => s.done).length;
    if (error !== undefined || !last) {
      const code = isRunstateError(error) ? error.code : 'unexpected';
      return {
        ref,
        server,
        watch: `error:${code}`,
        right: false,
        unknown: true,
        terminalSnapshots,
        detail: error instanceof Error ? error.message : String(error),
        delayMs: undefined,
      };
    }
    const unknown = last.state === 'timed_out' || !last.done;
    const right = !unknown && TERMINAL.has(last.state) && last.state === server;
    // A job that ended before the watches started counts from their start.
    const delayMs = right && stat?.endedAt != null ? last.at - Math.max(stat.endedAt, startedAt) : undefined;
    return { ref, server, watch: last.state, right, unknown, terminalSnapshots, detail: last.note, delayMs };
  });
  // The simulator refuses (4xx) a submission to a run that no longer waits for those calls: each one is a second
  // submission of a round (faults answer 429, 5xx or nothing). Tool runs here never expire before they are answered.
  const refused = ['runs.submitToolOutputs', 'sessions.events.create']
    .map((route) => stats.requests.byRoute[route])
    .reduce(
      (sum, submit) =>
        sum +
        (submit
          ? Object.entries(submit.byStatus)
              .filter(([status]) => Number(status) >= 400 && Number(status) < 500 && status !== '429')
              .reduce((n, [, count]) => n + count, 0)
          : 0),
      0,
    );
  // A round is accepted when the run leaves requires_action for queued (a session: for in_progress): that is one
  // submission that landed.
  let accepted = 0;
  let reached = 0;
  for (const job of Object.values(stats.jobs)) {
    const next = job.kind === 'agent.session' ? 'in_progress' : 'queued';
    job.timeline.forEach((step, i) => {
      if (step.status !== 'requires_action') return;
      reached++;
      if (job.timeline[i + 1]?.status === next) accepted++;
    });
  }
  const retrieves = Object.entries(stats.requests.byRoute)
    .filter(([route]) => route.endsWith('.retrieve'))
    .reduce((n, [, r]) => n + r.total, 0);
  return {
    mode,
    jobs,
    right: jobs.filter((j) => j.right).length,
    wrong: jobs.filter((j) => !j.right && !j.unknown),
    unknown: jobs.filter((j) => j.unknown).length,
    duplicateTerminals: jobs.filter((j) => j.terminalSnapshots > 1).length,
    doubleHandlerRuns: [...handled.values()].filter((n) => n > 1).length,
    handlerRuns: [...handled.values()].reduce((a, b) => a + b, 0),
    doubleSubmissions: submissions.filter((s) => s.afterSuccess).length,
    refusedResubmissions: refused,
    submissionsAccepted: accepted,
    roundsReached: reached,
    roundsUnanswered: reached - accepted,
    retrieves,
    rateLimited: stats.rateLimited,
    serverErrors: stats.serverErrors,
    dropped: stats.dropped,
    streamsDropped: stats.streamsDropped,
    webhooks: {
      dropped: stats.webhooks.dropped,
      duplicated: stats.webhooks.duplicated,
      reordered: stats.webhooks.reordered,
      delivered: stats.webhooks.delivered,
    },
    wallMs,
    heapGrowthBytes,
  };
}
