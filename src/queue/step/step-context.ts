import type OpenAI from 'openai';
import type { RunstateError } from '../../errors/runstate-error.js';
import type { KindAdapter } from '../../model/types.js';
import { retryHintMs } from '../../sources/server-hint.js';
import type { ToolRecorder } from '../../telemetry/watch-telemetry.js';
import type { ToolErrorPolicy, ToolHandlers } from '../../tools/tools.js';
import type { WatchData } from '../watch-data.js';

/** What a parked actor returns: it wanted a request but this step already made one; the next step makes it. */
export const PARKED = Symbol('parked');

/** One step of one durable watch: its data, its single request slot, and the work still in flight. */
export interface StepContext {
  client: OpenAI;
  // biome-ignore lint/suspicious/noExplicitAny: chosen at run time by kind
  adapter: KindAdapter<any>;
  tools: ToolHandlers;
  onToolError: ToolErrorPolicy;
  data: WatchData;
  now(): number;
  /** Clock ms per real ms: a server's waits (`retry-after`) are in real time, and a step counts clock ms. */
  speed: number;
  /** Writes `data` to the job (serialized: one write at a time). */
  save(): Promise<void>;
  /** Aborts when the step is abandoned (worker closing). */
  signal: AbortSignal;
  /** Waits for room in the fleet's request limit before a request beyond the step's first (see StepOptions). */
  takeRequestSlot?: (signal: AbortSignal) => Promise<void>;
  /** Set once the step made its one request. */
  slotUsed: boolean;
  /** An actor wanted a request this step could not make: the next step runs at once. */
  parked: boolean;
  /** A 429 told every worker to wait this long. */
  rateLimitMs: number | undefined;
  /** A transient failure (5xx, network) of this step's request, with the server's hint if any. */
  transient: { hintMs: number | undefined } | undefined;
  /** A failure that ends the watch (401, 403, 404, bad request on a read). */
  fault: RunstateError | undefined;
  /** Promises the step waits for before it persists. */
  busy: Set<Promise<unknown>>;
  /** Records each tool handler run (span and metrics); absent when nothing records. */
  recordTool?: ToolRecorder;
}

/** The wait a failed request's headers ask for, in the step's clock ms, or undefined when they ask none. */
export function serverWaitMs(step: StepContext, headers: Headers | undefined): number | undefined {
  const hint = headers ? retryHintMs(headers, step.now()) : undefined;
  return hint === undefined ? undefined : hint * step.speed;
}

/** Takes the step's one request, or says it is taken. */
export function takeSlot(step: StepContext): boolean {
  if (step.slotUsed) return false;
  step.slotUsed = true;
  return true;
}

/** Runs `work` as part of the step; the step persists only after every tracked piece of work settled. */
export function track<T>(step: StepContext, work: Promise<T>): Promise<T> {
  step.busy.add(work);
  const done = () => step.busy.delete(work);
  work.then(done, done);
  return work;
}

/** Waits until no tracked work is left, letting XState apply each result (and start what follows) in between. */
export async function settle(step: StepContext): Promise<void> {
  for (;;) {
    await new Promise((resolve) => setImmediate(resolve));
    if (step.busy.size === 0) return;
    await Promise.allSettled([...step.busy]);
  }
}
