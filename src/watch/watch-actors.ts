import type OpenAI from 'openai';
import { type Actor, type ActorSystem, fromEventObservable, fromPromise } from 'xstate';

// biome-ignore lint/suspicious/noExplicitAny: XState types a system by the actors in it; any system keys a watch
type AnyActorSystem = ActorSystem<any>;

import { type RunMachineContext, type RunMachineInput, runMachine } from '../../machines/run.machine.js';
import type { JobRef, Source, SourceContext, StatusEvent, ToolCall, ToolOutput } from '../model/types.js';
import { cancelJob } from '../requests/cancel-job.js';
import { confirmExpiry } from '../requests/confirm-expiry.js';
import type { RequestDeps } from '../requests/request-deps.js';
import { submitOutputs } from '../requests/submit-outputs.js';
import type { WatchTelemetry } from '../telemetry/watch-telemetry.js';
import { toolCallRegistry } from '../tools/tool-call-registry.js';
import { runToolCall, type ToolErrorPolicy, type ToolHandlers } from '../tools/tools.js';
import type { SourceRelay } from './source-relay.js';

/** Everything the I/O actors of one watch need. */
export interface WatchDependencies {
  client: OpenAI;
  source: Source;
  context: SourceContext;
  tools: ToolHandlers;
  onToolError: ToolErrorPolicy;
  /**
   * Names the run process-wide (client base URL + job id) in the tool-call registry, so watches of one run handle
   * each call once; the watch joins the registry under it for as long as it runs.
   */
  runKey?: string | undefined;
  /** The source's subscription, made before the actor existed (an idle watch holds none): the child adopts it. */
  relay?: SourceRelay | undefined;
  /** Records the watch's tool runs; absent when nothing records. */
  telemetry?: WatchTelemetry;
}

// The machine is provided once for every watch: `runMachine.provide` rebuilds the whole state-node tree, most of
// an idle watch's heap (bench/overhead.ts; docs/benchmarks.md, "Why the defaults are what they are"). Each watch's
// actors find its dependencies through the actor system that XState hands every actor creator; one system per
// watch, so a WeakMap keyed by it is exact and lets a finished watch be collected.
const WATCHES = new WeakMap<AnyActorSystem, WatchDependencies>();

/** Registers a watch's dependencies for the actor created from {@link watchMachine}, before it starts. */
export function attachWatch(system: AnyActorSystem, deps: WatchDependencies): void {
  WATCHES.set(system, deps);
}

function dependencies(system: AnyActorSystem) {
  const deps = WATCHES.get(system);
  if (!deps) throw new Error('runstate: watchMachine actor started without attachWatch(actor.system, ...)');
  return deps;
}

/** The shared request rules' dependencies for one actor: the watch's, with the actor's own signal. */
function requestDeps(context: SourceContext, signal: AbortSignal): RequestDeps {
  const { client, adapter, job, scheduler, meter, random } = context;
  return { client, adapter, job, scheduler, meter, random, signal };
}

/** The actors `watchRun` provides to the pure run machine: the source, tool handlers, and three requests. */
const watchActors = {
  source: fromEventObservable<StatusEvent, { job: JobRef }>(({ system }) => {
    const { source, context, relay } = dependencies(system);
    return relay ? relay.adopt() : source.watch(context);
  }),
  // Each call is handled once per process, however many watches of the run see it (toolCallRegistry).
  runTools: fromPromise<ToolOutput[], { calls: readonly ToolCall[] }>(({ input, signal, system }) => {
    const { tools, onToolError, context, runKey, telemetry } = dependencies(system);
    const both = AbortSignal.any([signal, context.signal]);
    return Promise.all(
      input.calls.map((call) =>
        toolCallRegistry.once(runKey, `call:${call.id}`, both, () =>
          runToolCall(call, tools, onToolError, both, telemetry?.runTool),
        ),
      ),
    );
  }),
  // One submission per round per process; 429s retried, unknown fates read before re-sending, a 400 for calls
  // already answered read as "someone else answered" (src/requests/submit-outputs.ts). The machine's expiry and
  // maxWait timers bound the retries: leaving `submitting` stops this actor.
  submitOutputs: fromPromise<StatusEvent, { outputs: readonly ToolOutput[] }>(
    async ({ input, signal, system }) => {
      const { context, runKey } = dependencies(system);
      const round = input.outputs
        .map((o) => o.tool_call_id)
        .sort()
        .join(',');
      const result = await toolCallRegistry.once(runKey, `round:${round}`, signal, () =>
        submitOutputs(requestDeps(context, signal), { outputs: input.outputs }),
      );
      return result.event;
    },
  ),
  // Retried until the server answers or EXPIRY_GRACE_MS after expires_at; the machine decides what the answer means.
  confirmExpiry: fromPromise<StatusEvent, { job: JobRef; expiresAt: number | null }>(
    ({ input, signal, system }) => {
      const { context } = dependencies(system);
      const expiresAt = input.expiresAt ?? context.scheduler.now();
      return confirmExpiry(requestDeps(context, signal), { expiresAt });
    },
  ),
  // Not tied to the watch's signal: the cancel must go out although the watch is stopping.
  cancelJob: fromPromise<StatusEvent, { job: JobRef }>(({ system }) => {
    const { context } = dependencies(system);
    return cancelJob(requestDeps(context, new AbortController().signal));
  }),
};

/** The run machine with runstate's I/O actors, built once; each actor attaches its watch with `attachWatch`. */
export const watchMachine = runMachine.provide({ actors: watchActors });

/** An actor of {@link watchMachine}. */
export type WatchActor = Actor<typeof watchMachine>;

type ContextFactory = (args: { input: RunMachineInput }) => RunMachineContext;

/**
 * The context an actor of the machine starts with, from the machine's own `context` factory, without creating
 * an actor: what an idle watch shows before anything happens (its actor starts at the first event).
 */
export function initialContext(input: RunMachineInput): RunMachineContext {
  return (watchMachine.config.context as ContextFactory)({ input });
}
