import type OpenAI from 'openai';
import { createActor } from 'xstate';
import { specFor } from '../../kinds/registry.js';
import type { KindAdapter } from '../../kinds/spec.js';
import { toStatusEvent } from '../../kinds/to-status-event.js';
import type { RunSnapshot, StatusEvent } from '../../model/types.js';
import { type BackoffPolicy, nextDelay } from '../../sources/backoff.js';
import { announcedJob } from '../../sources/webhook.js';
import type { ToolRecorder } from '../../telemetry/watch-telemetry.js';
import type { ToolErrorPolicy, ToolHandlers } from '../../tools/tools.js';
import { toSnapshot } from '../../watch/snapshot.js';
import { stoppedWhenPaused } from '../../watch/when-paused.js';
import { restoreMachine, slimMachine } from '../stored-machine.js';
import type { WatchData } from '../watch-data.js';
import { appliedStatus, type InboxEvent, type QueueWebhookFetch } from '../webhooks/webhook-inbox.js';
import { type IdleStart, idleStart, idleStored, idleTransition, type MachineContext } from './idle-step.js';
import { type StepContext, settle, takeSlot } from './step-context.js';
import { scheduledDelay } from './step-delay.js';
import { attachStep, stepInput, stepMachine } from './step-machine.js';
import { stepRequest } from './step-request.js';

/** What a step needs besides the watch's data. */
export interface StepOptions {
  client: OpenAI;
  tools: ToolHandlers;
  onToolError: ToolErrorPolicy;
  /** Epoch ms, the same clock the simulator or the API keeps. */
  now(): number;
  /**
   * Clock ms per real ms, when `now` runs faster than real time: a server's `retry-after` is real time.
   *
   * @defaultValue `1`
   */
  speed?: number;
  random(): number;
  /**
   * One backoff for every kind (`createRunWorker({ poll })`); absent, each kind's own schedule, as `poll()` gives
   * it in process (see `scheduledDelay`).
   */
  poll?: BackoffPolicy;
  /** Delays after a failed read (5xx, network). */
  retry: BackoffPolicy;
  /** Writes the data to the job (tool outputs are saved as soon as they exist). */
  save(data: WatchData): Promise<void>;
  signal: AbortSignal;
  /**
   * Waits until the fleet's request limit has room for one more request, before each request a step sends beyond
   * its first (BullMQ's limiter counted the first when it started the step). Absent: no limit.
   */
  takeRequestSlot?: (signal: AbortSignal) => Promise<void>;
  /** Stop the watch (`cancel: true`: and cancel the job) before anything else. */
  abort?: { cancel: boolean };
  /** Verified webhook events left for this watch since its last step, oldest first. */
  webhooks?: readonly InboxEvent[];
  /**
   * Which of them are applied without a read (see {@link QueueWebhookFetch}).
   *
   * @defaultValue `'always'` (none is applied without a read)
   */
  webhookFetch?: QueueWebhookFetch;
  /** Wraps the kind's adapter, so every request of the step is recorded (src/telemetry/queue-telemetry.ts). */
  // biome-ignore lint/suspicious/noExplicitAny: any kind's adapter
  instrument?: <A extends KindAdapter<any>>(adapter: A) => A;
  /** Records each tool handler run. */
  recordTool?: ToolRecorder;
  /**
   * Apply every step's events to a restored actor, never with the machine's pure transition (idle-step.ts): for
   * tests and benches that compare the two.
   */
  actorOnly?: boolean;
}

/** How a step ended: what the worker tells BullMQ. */
export type StepResult =
  /** Terminal: the job completes with this snapshot. */
  | { next: 'done'; snapshot: RunSnapshot }
  /** Step again after `delayMs` (clock ms). */
  | { next: 'wait'; delayMs: number; snapshot: RunSnapshot }
  /** A 429: every worker waits `delayMs`, then this step runs again. */
  | { next: 'rate_limited'; delayMs: number; snapshot: RunSnapshot }
  /** The watch cannot know the outcome (401, 403, 404, a throwing handler with `onToolError: 'fail'`). */
  | { next: 'fault'; error: unknown; snapshot: RunSnapshot };

// A step keeps time with ticks only: timers would outlive nothing, since the actor lives for one step.
const NO_TIMERS = { setTimeout: () => 0, clearTimeout: () => {} };

// States that wait on an actor's request or the tool handlers; in any other active state the step reads the job.
const INVOKING = ['running_tools', 'submitting', 'confirming_expiry', 'stopping'];

function isInvoking(value: unknown): boolean {
  const json = JSON.stringify(value);
  return INVOKING.some((name) => json.includes(`"${name}"`));
}

/**
 * One step of a durable watch: restore the machine from the data, let time arrive as a tick, make at most one
 * request (a read, or the request an actor of the machine is waiting for), apply it, and say when to step
 * again. The caller persists `data`, which the step updated in place.
 */
export async function runStep(data: WatchData, options: StepOptions): Promise<StepResult> {
  const spec = specFor(data.job);
  const adapter = options.instrument ? options.instrument(spec) : spec;
  let saving: Promise<void> = Promise.resolve();
  const step: StepContext = {
    client: options.client,
    adapter,
    tools: options.tools,
    onToolError: options.onToolError,
    data,
    now: options.now,
    speed: options.speed ?? 1,
    // One write at a time, in order: concurrent handlers each record their output.
    save: () => {
      saving = saving.catch(() => {}).then(() => options.save(data));
      return saving;
    },
    signal: options.signal,
    ...(options.takeRequestSlot ? { takeRequestSlot: options.takeRequestSlot } : {}),
    slotUsed: false,
    parked: false,
    rateLimitMs: undefined,
    transient: undefined,
    fault: undefined,
    busy: new Set(),
    ...(options.recordTool ? { recordTool: options.recordTool } : {}),
  };
  const toolNames = Object.keys(options.tools);
  const idle =
    options.actorOnly || options.abort || options.webhooks?.length ? undefined : idleStart(data, toolNames);
  const pure = idle ? await idleStep(data, step, adapter, options, idle) : undefined;
  const {
    snapshot: s,
    read,
    nudged,
  } = pure && 'ran' in pure ? pure.ran : await actorStep(data, step, adapter, options, pure?.read, toolNames);
  await saving.catch(() => {});

  const done = s.status === 'done';
  const snapshot = toSnapshot(
    s.context,
    !done ? 'watching' : s.value === 'stopped' ? 'stopped' : 'done',
    data.calls,
  );
  if (done && s.value === 'faulted') return { next: 'fault', error: s.context.fault, snapshot };
  if (done) return { next: 'done', snapshot };
  if (step.fault) return { next: 'fault', error: step.fault, snapshot };
  // A paused job, and a watch told to stop on one: it ends here, not done, as a stopped watch does.
  const stopped = stoppedWhenPaused(snapshot, data.whenPaused);
  if (stopped) return { next: 'done', snapshot: stopped };

  if (s.context.state !== data.poll.state || nudged) data.poll = { attempt: 0, state: s.context.state };
  else if (read) data.poll = { ...data.poll, attempt: data.poll.attempt + 1 };
  if (step.transient) data.failures++;
  else if (read) data.failures = 0;

  if (step.rateLimitMs !== undefined) return { next: 'rate_limited', delayMs: step.rateLimitMs, snapshot };
  const now = options.now();
  const { deadlineAt, expiresAt } = s.context;
  let delayMs: number;
  if (step.transient) {
    delayMs = nextDelay(options.retry, data.failures - 1, {
      random: options.random,
      now,
      deadline: deadlineAt,
      hintMs: step.transient.hintMs,
    });
  } else if (step.parked) {
    // An actor waits for its request: the next step makes it at once.
    delayMs = 0;
  } else {
    delayMs = scheduledDelay(data, {
      poll: options.poll,
      random: options.random,
      now,
      deadline: deadlineAt,
      latest: s.context.latest,
      nudged,
    });
  }
  // Wake up at the expiry, so it is noticed on time (the deadline is already a bound of nextDelay).
  if (expiresAt !== null && expiresAt > now) delayMs = Math.min(delayMs, expiresAt - now);
  return { next: 'wait', delayMs, snapshot };
}

/** What runStep needs of the machine once its events are applied. */
interface Ran {
  snapshot: { status: string; value: unknown; context: MachineContext };
  read: boolean;
  nudged: boolean;
}

/**
 * The step of a watch at rest, on the machine's pure transition (idle-step.ts). When the tick or the read would do
 * more than record, what the actor path needs instead: the read already made, if any.
 */
async function idleStep(
  data: WatchData,
  step: StepContext,
  // biome-ignore lint/suspicious/noExplicitAny: any kind's adapter
  adapter: KindAdapter<any>,
  options: StepOptions,
  start: IdleStart,
): Promise<{ ran: Ran } | { read?: StatusEvent }> {
  const ticked = idleTransition(start.snapshot, { type: 'tick', at: options.now() });
  if (!ticked) return {};
  let snapshot = ticked;
  let read = false;
  if (takeSlot(step)) {
    const outcome = await stepRequest(step, adapter.describe(data.job), (onExtraRequest) =>
      adapter.retrieve(options.client, data.job, { signal: options.signal, onExtraRequest }),
    );
    if (outcome.ok) {
      const applied = idleTransition(ticked, outcome.event);
      if (!applied) return { read: outcome.event };
      read = true;
      snapshot = applied;
    }
  }
  data.machine = idleStored(data, start.whole, snapshot);
  return { ran: { snapshot, read, nudged: false } };
}

/**
 * The step on an actor restored from the stored snapshot: webhooks, a stop, tool rounds, requests of the
 * machine's own actors, and every change of state. `readEvent` is a read the idle path already made.
 */
async function actorStep(
  data: WatchData,
  step: StepContext,
  // biome-ignore lint/suspicious/noExplicitAny: any kind's adapter
  adapter: KindAdapter<any>,
  options: StepOptions,
  readEvent: StatusEvent | undefined,
  toolNames: readonly string[],
): Promise<Ran> {
  const actor = createActor(stepMachine, {
    input: stepInput(data, toolNames),
    ...(data.machine ? { snapshot: restoreMachine(data.machine, data) } : {}),
    clock: NO_TIMERS,
  });
  attachStep(actor.system, step);
  let nudged = false;
  actor.on('nudge', () => {
    nudged = true;
  });
  actor.start();
  if (options.abort) actor.send({ type: 'abort', cancel: options.abort.cancel });
  // Before the tick: each event happened before now. A terminal one ends the watch here, so the step reads
  // nothing; duplicates and stale events fall to the machine's rules, as in process.
  for (const event of options.webhooks ?? []) {
    const status = appliedStatus(adapter, event, options.webhookFetch ?? 'always');
    if (status === undefined) continue;
    actor.send(toStatusEvent(adapter, announcedJob(data.job, status), event.at, 'webhook'));
  }
  // A terminal event may have ended the machine already: a stopped actor takes no tick.
  if (actor.getSnapshot().status === 'active') actor.send({ type: 'tick', at: options.now() });
  await settle(step);

  let read = false;
  const resting = () => actor.getSnapshot().status === 'active' && !isInvoking(actor.getSnapshot().value);
  if (readEvent) {
    read = true;
    actor.send(readEvent);
    await settle(step);
  } else if (resting() && takeSlot(step)) {
    const outcome = await stepRequest(step, adapter.describe(data.job), (onExtraRequest) =>
      adapter.retrieve(options.client, data.job, { signal: options.signal, onExtraRequest }),
    );
    if (outcome.ok) {
      read = true;
      actor.send(outcome.event);
      await settle(step);
    }
  }

  const snapshot = actor.getSnapshot();
  // Slim: the job id and the watch's times are in the data already; they were five copies of the id.
  data.machine = slimMachine(actor.getPersistedSnapshot(), data);
  actor.stop();
  return { snapshot, read, nudged };
}
