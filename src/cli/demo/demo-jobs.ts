import type OpenAI from 'openai';
import { lastValueFrom, type SchedulerLike, tap } from 'rxjs';
import { isRunstateError } from '../../errors/index.js';
import { kindSpec } from '../../kinds/registry.js';
import type { JobRef, RunSnapshot, Source } from '../../model/types.js';
import type { Simulator } from '../../sim/index.js';
import { deriveSeed, mulberry32 } from '../../sim/scenario/random.js';
import { hybrid } from '../../sources/hybrid.js';
import { poll } from '../../sources/poll.js';
import { stream } from '../../sources/stream.js';
import { webhookSource } from '../../sources/webhook.js';
import { watchRun } from '../../watch/watch-run.js';
import type { WebhookHub } from '../../webhooks/index.js';
import { createFateJob, createStreamedJob, DEMO_TOOLS, FATES, prepareFates } from './demo-fates.js';
import type { DemoInspector } from './demo-inspect.js';
import { DEMO_SOURCES, type DemoJob, type DemoSource } from './demo-job.js';

/** The watch's patience for every fate but `timed_out`, in simulated ms. */
const MAX_WAIT_MS = 10 * 60_000;

/** Sources rotate so that each fate is watched through different sources across the dozen. */
export const sourceFor = (i: number): DemoSource => DEMO_SOURCES[(i + Math.floor(i / FATES.length)) % 3]!;

/**
 * The source a demo job is watched through. The demo watches the jobs it has just created: no event can have gone
 * by, so no read at start.
 */
export function makeSource(name: DemoSource, hub: WebhookHub): Source {
  if (name === 'poll') return poll();
  if (name === 'webhook') return webhookSource(hub, { createdJustNow: true });
  return hybrid(hub, undefined, { createdJustNow: true });
}

const jobId = (ref: JobRef) => kindSpec(ref.kind).jobId(ref);

/** The demo's streamed response: a haiku written word by word, watched with `stream()`. */
export const STREAMED_SCENARIO = {
  phases: { queued: 500 },
  reply: 'Autumn moonlight, a worm digs silently into the chestnut.',
  stream: { everyMs: 1500 },
};

/** What the demo saw of its streamed response. */
export interface Streamed {
  id: string;
  last?: RunSnapshot;
  /** Snapshots whose text grew. */
  textSnapshots: number;
  error?: string;
}

/**
 * Creates `count` jobs on the simulator, fates and sources in rotation, one after the other (stable ids), and
 * yields each as soon as it exists: its watch starts before the next job is created, so no job runs unwatched
 * while the others are made (the clock runs ×speed meanwhile).
 */
export async function* createJobs(client: OpenAI, sim: Simulator, count: number): AsyncGenerator<DemoJob> {
  const prepared = await prepareFates(client);
  for (let i = 0; i < count; i++) {
    const fate = FATES[i % FATES.length]!;
    const ref = await createFateJob(client, fate, prepared);
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

/** What every watch of the demo shares. */
export interface DemoWatchContext {
  client: OpenAI;
  hub: WebhookHub;
  /** The simulator's clock, for the watches' timers. */
  scheduler: SchedulerLike;
  /** The demo's seed, from which each watch's jitter is derived. */
  seed: number;
  /** The interruption (Ctrl-C). */
  signal: AbortSignal;
  inspector: DemoInspector | undefined;
}

/**
 * Watches one demo job to its end, handing each snapshot to `onSnapshot`. Resolves once the watch ended, with
 * `job.finished` set and, when the outcome could not be known, `job.error`.
 */
export function watchDemoJob(
  ctx: DemoWatchContext,
  job: DemoJob,
  onSnapshot: (job: DemoJob, snapshot: RunSnapshot) => void,
): Promise<void> {
  const { client, hub, scheduler, seed, inspector } = ctx;
  return lastValueFrom(
    watchRun({
      client,
      job: job.ref,
      source: makeSource(job.source, hub),
      tools: DEMO_TOOLS,
      maxWaitMs: job.fate.maxWaitMs ?? MAX_WAIT_MS,
      scheduler,
      random: mulberry32(deriveSeed(seed, `demo-jitter:${job.n}`)),
      signal: ctx.signal,
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
}

/** Creates the streamed response and watches it with `stream()`, recording what it saw in `streamed`. */
export function watchStreamed(ctx: DemoWatchContext, streamed: Streamed): Promise<void> {
  const { client, scheduler } = ctx;
  let shownText = 0;
  const watch = async () => {
    const streamedJob = await createStreamedJob(client);
    streamed.id = jobId(streamedJob);
    await lastValueFrom(
      watchRun({
        client,
        job: streamedJob,
        source: stream(),
        maxWaitMs: MAX_WAIT_MS,
        scheduler,
        signal: ctx.signal,
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
  return watch().catch((error: unknown) => {
    streamed.error = isRunstateError(error) ? `${error.code}: ${error.message}` : String(error);
  });
}
