import { setMaxListeners } from 'node:events';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { lastValueFrom, tap } from 'rxjs';
import { isRunstateError } from '../../errors/index.js';
import type { JobRef, RunSnapshot, Source } from '../../model/types.js';
import { generateWebhookSecret, type Simulator, startSimulator } from '../../sim/index.js';
import { deriveSeed, mulberry32 } from '../../sim/scenario/random.js';
import { simScheduler } from '../../sim/time/scheduler.js';
import { hybrid } from '../../sources/hybrid.js';
import { poll } from '../../sources/poll.js';
import { stream } from '../../sources/stream.js';
import { webhookSource } from '../../sources/webhook.js';
import { watchRun } from '../../watch/watch-run.js';
import { createWebhookHub, type WebhookHub } from '../../webhooks/index.js';
import { integer, parseOrUsage, port, positive } from '../args.js';
import type { CliIo, Command } from '../command.js';
import { createStyle, plural } from '../format.js';
import { serve } from '../http-server.js';
import { createLiveView } from '../live-view.js';
import { aborted, INTERRUPTED_EXIT_CODE, interruption } from '../signals.js';
import { createFateJob, DEMO_TOOLS, FATE_SCENARIOS, FATES } from './demo-fates.js';
import { DEFAULT_INSPECT_PORT, type DemoInspector, startDemoInspector } from './demo-inspect.js';
import { DEMO_SOURCES, type DemoJob, type DemoSource } from './demo-job.js';
import { renderJobTable, renderSummary, summarize } from './demo-summary.js';
import { liveLines, transitionLine } from './demo-view.js';

const DEFAULT_JOBS = 12;
const DEFAULT_SPEED = 20;
/** The watch's patience for every fate but `timed_out`, in simulated ms. */
const MAX_WAIT_MS = 10 * 60_000;

const help = `Usage: runstate demo [--jobs N] [--seed S] [--speed X] [--json] [--inspect [--inspect-port P] | --inspect-url URL]

Starts the embedded simulator and watches a dozen jobs with mixed fates (completed, two tool calls, failed,
expired waiting for tools, cancelled, timed out) through the poll, webhook and hybrid sources side by side,
plus one response streamed word by word with the stream source:
webhooks are real signed HTTP deliveries to a local hub. The simulator's clock runs X times faster than real
time and the watches share it, so minutes of job time pass in seconds. Ends with a summary per source:
retrieves, detection delay (terminal snapshot minus the job's true end) and outcomes.

On a terminal the jobs are shown live, redrawn in place; otherwise one line is printed per transition.

Options:
  --jobs N      how many jobs (1 to 60; default ${DEFAULT_JOBS}): fates and sources rotate
  --seed S      seeds durations, ids and jitter (default 1)
  --speed X     simulated clock speed (default ${DEFAULT_SPEED}: 1 s of real time is ${DEFAULT_SPEED} s of job time)
  --json        print only the summary, as JSON
  --inspect     show every watch's machine in the Stately inspector: starts its bridge on port P (default
                ${DEFAULT_INSPECT_PORT}) and, on a terminal, opens it in the browser; the bridge stays up after the
                summary until Ctrl-C. Needs @statelyai/inspect (npm i -D @statelyai/inspect)
  --inspect-url URL  send to an inspector bridge already listening at URL (ws://...) instead
  -h, --help    show this help

Examples:
  runstate demo
  runstate demo --jobs 18 --seed 7
  runstate demo --inspect --speed 2
  runstate demo --json | jq '.sources[] | {source, retrieves}'`;

/** Sources rotate so that each fate is watched through different sources across the dozen. */
const sourceFor = (i: number): DemoSource => DEMO_SOURCES[(i + Math.floor(i / FATES.length)) % 3]!;

// The demo watches the jobs it has just created: no event can have gone by, so no read at start.
function makeSource(name: DemoSource, hub: WebhookHub): Source {
  if (name === 'poll') return poll();
  if (name === 'webhook') return webhookSource(hub, { createdJustNow: true });
  return hybrid(hub, undefined, { createdJustNow: true });
}

const jobId = (ref: JobRef) => (ref.kind === 'assistants.run' ? ref.runId : ref.id);

/** The demo's streamed response: a haiku written word by word, watched with `stream()`. */
const STREAMED_SCENARIO = {
  phases: { queued: 500 },
  reply: 'Autumn moonlight, a worm digs silently into the chestnut.',
  stream: { everyMs: 1500 },
};

/** What the demo saw of its streamed response. */
interface Streamed {
  id: string;
  last?: RunSnapshot;
  /** Snapshots whose text grew. */
  textSnapshots: number;
  error?: string;
}

/** Creates the streamed response (background + stream) and leaves the create's stream: the watch opens its own. */
async function createStreamed(client: OpenAI): Promise<string> {
  const events = await client.responses.create({
    model: 'gpt-4o-mini',
    input: 'Write a haiku',
    background: true,
    stream: true,
    metadata: { sim_scenario: 'demo_streamed' },
  });
  let id = '';
  for await (const event of events) {
    if (event.type === 'response.created') id = event.response.id;
    else break;
  }
  return id;
}

/**
 * Creates `count` jobs on the simulator, fates and sources in rotation, one after the other (stable ids), and
 * yields each as soon as it exists: its watch starts before the next job is created, so no job runs unwatched
 * while the others are made (the clock runs ×speed meanwhile).
 */
async function* createJobs(client: OpenAI, sim: Simulator, count: number): AsyncGenerator<DemoJob> {
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini', name: 'runstate demo' });
  for (let i = 0; i < count; i++) {
    const fate = FATES[i % FATES.length]!;
    const ref = await createFateJob(client, fate, assistant.id);
    const id = jobId(ref);
    yield {
      n: i + 1,
      fate,
      source: sourceFor(i),
      kind: fate.kind,
      ref,
      id,
      createdAt: sim.job(id)?.createdAt ?? sim.clock.now(),
      finished: false,
    };
  }
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: [...argv],
      options: {
        jobs: { type: 'string' },
        seed: { type: 'string' },
        speed: { type: 'string' },
        json: { type: 'boolean', default: false },
        inspect: { type: 'boolean', default: false },
        'inspect-port': { type: 'string' },
        'inspect-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }),
  );
  const count = integer('jobs', values.jobs, { min: 1, max: 60 }) ?? DEFAULT_JOBS;
  const seed = integer('seed', values.seed, { min: 0, max: 2 ** 32 - 1 }) ?? 1;
  const speed = positive('speed', values.speed) ?? DEFAULT_SPEED;
  const json = values.json;
  const inspectUrl = values['inspect-url'];
  const inspectPort = port('inspect-port', values['inspect-port']) ?? DEFAULT_INSPECT_PORT;
  const live = !json && Boolean(io.stdout.isTTY);
  const style = createStyle(io.stdout, io.env);
  const print = (line = '') => io.stdout.write(`${line}\n`);

  const stop = interruption();
  // Every watch listens to the one interruption signal.
  setMaxListeners(count + 10, stop.signal);
  const secret = generateWebhookSecret();
  const hub = createWebhookHub({ secret });
  const endpoint = await serve(hub.node, { port: 0 });
  let sim: Simulator | undefined;
  let inspector: DemoInspector | undefined;
  try {
    if (inspectUrl !== undefined || values.inspect) {
      const open = Boolean(io.stdout.isTTY);
      inspector = await startDemoInspector(inspectUrl ? { url: inspectUrl } : { port: inspectPort, open });
      if (inspector.page) {
        (json ? io.stderr : io.stdout).write(
          `inspector: ${inspector.page}${open ? ' (opening in your browser)' : ''}\n`,
        );
        // Give the page a moment to connect: the bridge replays only its last 200 events to a late page.
        if (open) await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
    }
    sim = await startSimulator({
      clock: { speed },
      seed,
      scenarios: { ...FATE_SCENARIOS, demo_streamed: STREAMED_SCENARIO },
      webhooks: { url: `${endpoint.url}webhooks`, secret },
    });
    const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0 });
    const { clock } = sim;
    const scheduler = simScheduler(clock);
    const wallStart = Date.now();
    const start = clock.now();
    if (!json) {
      print(
        style.bold(
          `runstate demo: ${plural(count, 'job')} on the simulator at ${sim.baseURL} (seed ${seed}, clock ×${speed})`,
        ),
      );
      print(style.dim(`webhooks: signed deliveries to ${endpoint.url}webhooks, verified by a hub`));
      print();
    }

    const jobs: DemoJob[] = [];
    const streamed: Streamed = { id: '', textSnapshots: 0 };

    const view = live
      ? createLiveView(io.stdout, () =>
          liveLines(
            jobs,
            clock.now(),
            style,
            style.dim(`simulated time +${((clock.now() - start) / 1000).toFixed(1)} s`),
          ),
        )
      : undefined;

    const onSnapshot = (job: DemoJob, snapshot: RunSnapshot) => {
      job.last = snapshot;
      job.seenAt = clock.now();
      // The first snapshot of a watch is its initial state, before anything was observed; the last one is printed
      // even when nothing was (a watch that gave up first).
      if (!live && !json && (snapshot.status !== undefined || snapshot.done)) {
        print(transitionLine(job, snapshot, start, style));
      }
    };
    const startWatch = (job: DemoJob) =>
      lastValueFrom(
        watchRun({
          client,
          job: job.ref,
          source: makeSource(job.source, hub),
          tools: DEMO_TOOLS,
          maxWaitMs: job.fate.maxWaitMs ?? MAX_WAIT_MS,
          scheduler,
          random: mulberry32(deriveSeed(seed, `demo-jitter:${job.n}`)),
          signal: stop.signal,
          ...(inspector ? { inspect: inspector.inspect } : {}),
        }).pipe(tap((snapshot) => onSnapshot(job, snapshot))),
        { defaultValue: undefined },
      ).then(
        () => {
          job.finished = true;
        },
        (error: unknown) => {
          job.error = isRunstateError(error) ? `${error.code}: ${error.message}` : String(error);
          job.finished = true;
        },
      );
    const watches: Promise<void>[] = [];
    for await (const job of createJobs(client, sim, count)) {
      jobs.push(job);
      watches.push(startWatch(job));
    }
    let shownText = 0;
    // Created once the other watches run, so that it delays none of them.
    const watchStreamed = async () => {
      streamed.id = await createStreamed(client);
      await lastValueFrom(
        watchRun({
          client,
          job: { kind: 'response', id: streamed.id },
          source: stream(),
          maxWaitMs: MAX_WAIT_MS,
          scheduler,
          signal: stop.signal,
        }).pipe(
          tap((snapshot) => {
            streamed.last = snapshot;
            if ((snapshot.textLength ?? 0) > shownText) {
              streamed.textSnapshots++;
              shownText = snapshot.textLength ?? 0;
            }
          }),
        ),
        { defaultValue: undefined },
      );
    };
    const streamWatch = watchStreamed().catch((error: unknown) => {
      streamed.error = isRunstateError(error) ? `${error.code}: ${error.message}` : String(error);
    });
    await Promise.all([...watches, streamWatch]);
    view?.stop();
    if (stop.signal.aborted) {
      io.stderr.write('runstate demo: interrupted\n');
      return INTERRUPTED_EXIT_CODE;
    }

    const summary = summarize(jobs, sim, {
      seed,
      speed,
      wallMs: Date.now() - wallStart,
      simulatedMs: clock.now() - start,
    });
    // The bridge the demo started serves the inspector page: it stays up until Ctrl-C.
    const served = async () => {
      if (!inspector?.page) return 0;
      (json ? io.stderr : io.stdout).write(`inspector: still serving ${inspector.page}; Ctrl-C to quit\n`);
      await aborted(stop.signal);
      return 0;
    };
    const streamSummary = {
      id: streamed.id,
      state: streamed.last?.state,
      source: streamed.last?.source,
      calls: streamed.last?.calls,
      textSnapshots: streamed.textSnapshots,
      text: streamed.last?.text,
      ...(streamed.error ? { error: streamed.error } : {}),
    };
    if (json) {
      print(JSON.stringify({ ...summary, streamed: streamSummary }, null, 2));
      return await served();
    }
    print();
    if (!live) {
      for (const line of renderJobTable(summary, style)) print(line);
      print();
    }
    for (const line of renderSummary(summary, style)) print(line);
    print();
    print(
      style.bold(`Streamed response ${streamed.id}`) +
        style.dim(
          ` (stream(): ${streamSummary.state ?? 'not finished'} via ${streamSummary.source ?? '-'}, ${streamSummary.calls ?? 0} request(s), text in ${streamed.textSnapshots} snapshots)`,
        ),
    );
    print(`  ${streamed.error ?? streamSummary.text ?? ''}`);
    return await served();
  } finally {
    await inspector?.close();
    stop.dispose();
    await sim?.close();
    await endpoint.close();
  }
}

/** `runstate demo`. */
export const demoCommand: Command = {
  help,
  run,
};
