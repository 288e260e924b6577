import type OpenAI from 'openai';
import { APIError, APIUserAbortError } from 'openai';
import { asyncScheduler, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import { kindSpec } from '../../src/kinds/registry.js';
import type {
  JobRef,
  JobState,
  KindAdapter,
  RequestMeter,
  Source,
  SourceContext,
  StatusEvent,
} from '../../src/model/types.js';
import { createRequestMeter } from '../../src/requests/request-meter.js';
import { mulberry32 } from '../../src/sim/scenario/random.js';

/** The smallest job object the fake adapter reads. */
export interface FakeJob {
  id: string;
  status: string;
}

/**
 * One scripted answer to a retrieve: a status (optionally with response headers and a latency in ms of the
 * scheduler's clock), a thrown error, or a request that never answers (until aborted).
 */
export type Reply =
  | string
  | { status: string; headers?: Record<string, string>; latencyMs?: number }
  | { error: unknown; latencyMs?: number }
  | 'hang';

/** What the fake adapter saw of one retrieve. */
export interface RetrieveCall {
  at: number;
  signal: AbortSignal | undefined;
}

const STATES: Record<string, JobState> = {
  queued: 'queued',
  in_progress: 'in_progress',
  requires_action: 'requires_action',
  cancelling: 'cancelling',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  expired: 'expired',
  incomplete: 'incomplete',
};

/**
 * A fake kind adapter answering retrieves from a script (the last reply repeats once the script runs out).
 * Latencies use the real global `setTimeout`, so they follow vitest's fake timers.
 */
export function fakeAdapter(
  script: readonly Reply[] | ((call: number) => Reply),
  now: () => number = () => Date.now(),
): { adapter: KindAdapter<FakeJob>; calls: RetrieveCall[] } {
  const calls: RetrieveCall[] = [];
  const replyFor = (n: number): Reply => {
    if (typeof script === 'function') return script(n);
    const reply = script[Math.min(n, script.length - 1)];
    if (reply === undefined) throw new Error('fakeAdapter: empty script');
    return reply;
  };
  const adapter: KindAdapter<FakeJob> = {
    kind: 'response',
    jobId: (ref) => kindSpec((ref as JobRef).kind).jobId(ref),
    describe: (ref) => `response ${kindSpec((ref as JobRef).kind).jobId(ref)}`,
    retrieve(_client, _ref, options) {
      const signal = options.signal;
      calls.push({ at: now(), signal });
      const reply = replyFor(calls.length - 1);
      return new Promise((resolve, reject) => {
        const onAbort = () => reject(new APIUserAbortError());
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        if (reply === 'hang') return;
        const settle = () => {
          signal?.removeEventListener('abort', onAbort);
          if (typeof reply === 'string')
            resolve({ job: { id: 'resp_1', status: reply }, headers: new Headers() });
          else if ('error' in reply) reject(reply.error);
          else resolve({ job: { id: 'resp_1', status: reply.status }, headers: new Headers(reply.headers) });
        };
        const latency = typeof reply === 'object' ? (reply.latencyMs ?? 0) : 0;
        if (latency > 0) setTimeout(settle, latency);
        else settle();
      });
    },
    cancel: () => Promise.reject(new Error('not used')),
    status: (job) => job.status,
    mapStatus: (status) => STATES[status],
    expiresAt: () => null,
    toolCalls: () => [],
    webhookStatus: () => undefined,
  };
  return { adapter, calls };
}

/** An API error as the SDK throws it, with optional response headers. */
export function apiError(status: number, headers: Record<string, string> = {}): APIError {
  return APIError.generate(
    status,
    { error: { message: `status ${status}` } },
    undefined,
    new Headers(headers),
  );
}

/** A small deterministic random source in [0, 1): the simulator's own mulberry32. */
export const seededRandom = mulberry32;

/** A SourceContext for unit tests of a source, plus the handles a test drives it with. */
export interface TestSourceContext {
  ctx: SourceContext;
  calls: RetrieveCall[];
  meter: RequestMeter;
  nudge: Subject<void>;
  /** Aborts `ctx.signal` (the watch stopping). */
  stop: AbortController;
}

/**
 * Builds a SourceContext around a scripted fake adapter. The scheduler defaults to `asyncScheduler` seen through a
 * wrapper of this context's own, whose clock and timers follow `vi.useFakeTimers()`: poll watches share one timer
 * queue per scheduler (poll-loop.ts), and test files share modules in a worker, so a watch another test left running
 * would otherwise hold a timer here. Pass `scheduler` to put several contexts on one queue.
 */
export function testSourceContext(
  script: readonly Reply[] | ((call: number) => Reply),
  overrides: Partial<Omit<SourceContext, 'adapter' | 'nudge$' | 'signal' | 'meter'>> = {},
): TestSourceContext {
  const scheduler: SchedulerLike = overrides.scheduler ?? ownScheduler();
  const { adapter, calls } = fakeAdapter(script, () => scheduler.now());
  const meter = createRequestMeter();
  const nudge = new Subject<void>();
  const stop = new AbortController();
  const ctx: SourceContext = {
    client: {} as OpenAI,
    job: { kind: 'response', id: 'resp_1' },
    random: seededRandom(1),
    deadline: Number.POSITIVE_INFINITY,
    ...overrides,
    scheduler,
    adapter,
    meter,
    nudge$: nudge.asObservable(),
    signal: stop.signal,
  };
  return { ctx, calls, meter, nudge, stop };
}

/** What a source emitted, how it ended, and its subscription. */
export interface Recording {
  events: StatusEvent[];
  error: unknown;
  completedAt: number | undefined;
  subscription: Subscription;
}

/** Subscribes to `source` for `ctx` and records what it emits and how it ends (completion by wall clock). */
export function record(source: Source, ctx: SourceContext): Recording {
  const rec = {
    events: [] as StatusEvent[],
    error: undefined as unknown,
    completedAt: undefined as number | undefined,
  };
  const subscription = source.watch(ctx).subscribe({
    next: (e) => rec.events.push(e),
    error: (e: unknown) => {
      rec.error = e;
    },
    complete: () => {
      rec.completedAt = Date.now();
    },
  });
  open.add(subscription);
  return Object.assign(rec, { subscription });
}

const open = new Set<Subscription>();

/** `asyncScheduler` under a name of its own: one timer queue per test context. */
function ownScheduler(): SchedulerLike {
  return {
    now: () => asyncScheduler.now(),
    schedule: asyncScheduler.schedule.bind(asyncScheduler),
  };
}

/**
 * Unsubscribes every recording still open. Poll watches on one scheduler share one timer queue (poll-loop.ts), so
 * a watch a test leaves running would still hold a timer in the next test.
 */
export function stopRecordings(): void {
  for (const subscription of open) subscription.unsubscribe();
  open.clear();
}
