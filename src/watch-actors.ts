import type OpenAI from 'openai';
import type { SchedulerLike } from 'rxjs';
import { type ActorSystem, fromEventObservable, fromPromise } from 'xstate';

// biome-ignore lint/suspicious/noExplicitAny: XState types a system by the actors in it; any system keys a watch
type AnyActorSystem = ActorSystem<any>;

import { runMachine } from '../machines/run.machine.js';
import { ConfigurationError } from './errors/configuration-error.js';
import { classifyRequestError } from './errors/from-api-error.js';
import { RetriesExhaustedError } from './errors/retries-exhausted-error.js';
import { toStatusEvent } from './kinds/to-status-event.js';
import { retryHintMs } from './sources/server-hint.js';
import { runToolCalls, type ToolErrorPolicy, type ToolHandlers } from './tools.js';
import type {
  JobRef,
  KindAdapter,
  RequestMeter,
  Source,
  SourceContext,
  StatusEvent,
  ToolCall,
  ToolOutput,
} from './types.js';

/** How many times an actor's request is retried after a 429 (never on 5xx: a submission may have landed). */
const RATE_LIMIT_RETRIES = 3;
const RATE_LIMIT_DELAY_MS = 1000;

function sleep(ms: number, scheduler: SchedulerLike, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      timer.unsubscribe();
      reject(signal.reason);
    };
    const timer = scheduler.schedule(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

interface RequestContext {
  meter: RequestMeter;
  // biome-ignore lint/suspicious/noExplicitAny: chosen at run time by kind
  adapter: KindAdapter<any>;
  job: JobRef;
  scheduler: SchedulerLike;
}

/**
 * One request on behalf of an actor: counted, typed errors, no SDK retries. A 429 means the request was not
 * processed, so it is safe to retry (honouring retry-after); a 5xx or a dropped connection is not, since a
 * submission may have landed, so it ends the watch with the outcome unknown.
 */
async function request(
  rc: RequestContext,
  what: string,
  signal: AbortSignal,
  call: () => Promise<{ job: unknown; headers: Headers }>,
): Promise<StatusEvent> {
  for (let attempt = 0; ; attempt++) {
    rc.meter.add();
    try {
      const { job } = await call();
      return toStatusEvent(rc.adapter, job, rc.scheduler.now(), 'poll');
    } catch (e) {
      const failure = classifyRequestError(e, rc.job, what);
      if (!failure.transient) throw failure.error;
      if (failure.status !== 429 || attempt >= RATE_LIMIT_RETRIES || signal.aborted) {
        throw new RetriesExhaustedError(
          `${what} failed (${failure.status ?? 'network error'})`,
          attempt + 1,
          {
            job: rc.job,
            status: failure.status,
            cause: e,
          },
        );
      }
      const hint = failure.headers ? retryHintMs(failure.headers, rc.scheduler.now()) : undefined;
      await sleep(Math.max(hint ?? 0, RATE_LIMIT_DELAY_MS * 2 ** attempt), rc.scheduler, signal);
    }
  }
}

/** Everything the I/O actors of one watch need. */
export interface WatchDependencies {
  client: OpenAI;
  source: Source;
  context: SourceContext;
  tools: ToolHandlers;
  onToolError: ToolErrorPolicy;
}

// The machine is provided once for every watch: `runMachine.provide` rebuilds the whole state-node tree, which
// cost 43 KiB of a 66 KiB idle watch (bench/overhead.ts). Each watch's actors find its dependencies through the
// actor system that XState hands every actor creator; one system per watch, so a WeakMap keyed by it is exact and
// lets a finished watch be collected.
const WATCHES = new WeakMap<AnyActorSystem, WatchDependencies & { rc: RequestContext; label: string }>();

/** Registers a watch's dependencies for the actor created from {@link watchMachine}, before it starts. */
export function attachWatch(system: AnyActorSystem, deps: WatchDependencies): void {
  const { adapter, job, meter, scheduler } = deps.context;
  WATCHES.set(system, { ...deps, rc: { meter, adapter, job, scheduler }, label: adapter.describe(job) });
}

function dependencies(system: AnyActorSystem) {
  const deps = WATCHES.get(system);
  if (!deps) throw new Error('runstate: watchMachine actor started without attachWatch(actor.system, ...)');
  return deps;
}

/** The actors `watchRun` provides to the pure run machine: the source, tool handlers, and three requests. */
const watchActors = {
  source: fromEventObservable<StatusEvent, { job: JobRef }>(({ system }) => {
    const { source, context } = dependencies(system);
    return source.watch(context);
  }),
  runTools: fromPromise<ToolOutput[], { calls: readonly ToolCall[] }>(({ input, signal, system }) => {
    const { tools, onToolError, context } = dependencies(system);
    return runToolCalls(input.calls, tools, onToolError, AbortSignal.any([signal, context.signal]));
  }),
  submitOutputs: fromPromise<StatusEvent, { outputs: readonly ToolOutput[] }>(({ input, signal, system }) => {
    const { client, context, rc, label } = dependencies(system);
    const { adapter, job } = context;
    const submit = adapter.submitToolOutputs;
    if (!submit)
      return Promise.reject(new ConfigurationError(`${job.kind} jobs take no tool outputs`, { job }));
    return request(rc, `submitting tool outputs to ${label}`, signal, () =>
      submit(client, job, input.outputs, { signal }),
    );
  }),
  confirmExpiry: fromPromise<StatusEvent, { job: JobRef }>(({ signal, system }) => {
    const { client, context, rc, label } = dependencies(system);
    return request(rc, label, signal, () => context.adapter.retrieve(client, context.job, { signal }));
  }),
  // Not tied to the watch's signal: the cancel must go out although the watch is stopping.
  cancelJob: fromPromise<StatusEvent, { job: JobRef }>(({ system }) => {
    const { client, context, rc, label } = dependencies(system);
    const never = new AbortController().signal;
    return request(rc, `cancelling ${label}`, never, () => context.adapter.cancel(client, context.job, {}));
  }),
};

/** The run machine with runstate's I/O actors, built once; each actor attaches its watch with `attachWatch`. */
export const watchMachine = runMachine.provide({ actors: watchActors });
