import { setMaxListeners } from 'node:events';
import OpenAI from 'openai';
import type { RunSnapshot } from '../../model/types.js';
import { generateWebhookSecret, type Simulator, startSimulator } from '../../sim/index.js';
import { simScheduler } from '../../sim/time/scheduler.js';
import { createWebhookHub } from '../../webhooks/index.js';
import type { CliIo, Command } from '../command.js';
import { createStyle } from '../format.js';
import { serve } from '../http-server.js';
import { createLiveView } from '../live-view.js';
import { aborted, INTERRUPTED_EXIT_CODE, interruption } from '../signals.js';
import { help, parseDemoArgs } from './demo-args.js';
import { FATE_SCENARIOS } from './demo-fates.js';
import { type DemoInspector, startDemoInspector } from './demo-inspect.js';
import type { DemoJob } from './demo-job.js';
import {
  createJobs,
  type DemoWatchContext,
  STREAMED_SCENARIO,
  type Streamed,
  watchDemoJob,
  watchStreamed,
} from './demo-jobs.js';
import { headerLines, liveHeader, reportJson, reportLines, summarizeStreamed } from './demo-render.js';
import { summarize } from './demo-summary.js';
import { liveLines, transitionLine } from './demo-view.js';

/**
 * The demo from start to end: the webhook endpoint, the inspector, the simulator; the jobs created and watched; the
 * summary; then everything closed, also on Ctrl-C.
 */
async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { count, seed, speed, json, inspect, inspectUrl, inspectPort } = parseDemoArgs(argv);
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
    if (inspectUrl !== undefined || inspect) {
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
      // The demo watches Assistants runs by hybrid too: the simulator's own thread.run.* events (OpenAI sends none).
      runWebhooks: true,
    });
    const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0 });
    const { clock } = sim;
    const scheduler = simScheduler(clock);
    const wallStart = Date.now();
    const start = clock.now();
    if (!json) {
      const webhooksUrl = `${endpoint.url}webhooks`;
      for (const line of headerLines(style, { count, seed, speed, baseURL: sim.baseURL, webhooksUrl })) {
        print(line);
      }
    }

    const jobs: DemoJob[] = [];
    const streamed: Streamed = { id: '', textSnapshots: 0 };

    const view = live
      ? createLiveView(io.stdout, () =>
          liveLines(jobs, clock.now(), style, liveHeader(style, clock.now() - start)),
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
    const watching: DemoWatchContext = { client, hub, scheduler, seed, signal: stop.signal, inspector };
    const watches: Promise<void>[] = [];
    for await (const job of createJobs(client, sim, count)) {
      jobs.push(job);
      watches.push(watchDemoJob(watching, job, onSnapshot));
    }
    // Created once the other watches run, so that it delays none of them.
    const streamWatch = watchStreamed(watching, streamed);
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
    const streamSummary = summarizeStreamed(streamed);
    if (json) {
      print(reportJson(summary, streamSummary));
      return await served();
    }
    for (const line of reportLines(summary, streamSummary, style, live)) print(line);
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
