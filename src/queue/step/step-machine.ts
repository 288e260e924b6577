import { type ActorSystem, fromEventObservable, fromPromise } from 'xstate';
import { type RunMachineInput, runMachine } from '../../../machines/run.machine.js';
import { ConfigurationError } from '../../errors/configuration-error.js';
import { RetriesExhaustedError } from '../../errors/retries-exhausted-error.js';
import { kindSpec } from '../../kinds/registry.js';
import { toStatusEvent } from '../../kinds/to-status-event.js';
import type { JobRef, StatusEvent, ToolCall, ToolOutput } from '../../model/types.js';
import { classifySubmissionError, EXPIRY_GRACE_MS, isWaitingFor } from '../../requests/index.js';
import { runToolCalls } from '../../tools/tools.js';
import type { WatchData } from '../watch-data.js';
import { PARKED, type StepContext, serverWaitMs, takeSlot, track } from './step-context.js';
import { extraRequest, stepRequest } from './step-request.js';

// biome-ignore lint/suspicious/noExplicitAny: XState types a system by the actors in it; any system keys a step
type AnyActorSystem = ActorSystem<any>;

// One step per actor system, like watchRun's actors: the machine is provided once for every step.
const STEPS = new WeakMap<AnyActorSystem, StepContext>();

/** Registers a step's context for the actor created from {@link stepMachine}, before it starts. */
export function attachStep(system: AnyActorSystem, step: StepContext): void {
  STEPS.set(system, step);
}

function stepOf(system: AnyActorSystem): StepContext {
  const step = STEPS.get(system);
  if (!step) throw new Error('runstate: stepMachine actor started without attachStep(actor.system, ...)');
  return step;
}

const never = <T>() => new Promise<T>(() => {});

/**
 * A request actor of a step: makes its request if the step has not made one yet, else parks. A parked actor
 * stays `active` in the persisted snapshot, and XState restarts an active promise actor on restore, so the next
 * step makes the request with the same input (the outputs recorded in context, say).
 */
function gated<I>(work: (step: StepContext, input: I) => Promise<StatusEvent | typeof PARKED>) {
  return fromPromise<StatusEvent, I>(({ input, system }) => {
    const step = stepOf(system);
    if (!takeSlot(step)) {
      step.parked = true;
      return never();
    }
    return track(step, work(step, input)).then((r) => {
      if (r !== PARKED) return r;
      step.parked = true;
      return never<StatusEvent>();
    });
  });
}

/** Hands a request's final error to the machine (its onError decides), so it is not also the step's fault. */
function handOver(step: StepContext): never {
  const error = step.fault;
  step.fault = undefined;
  throw error;
}

const sameIds = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((id) => b.includes(id));

/** The actors of a queued watch's step: tools with recorded outputs, and requests through the step's one slot. */
const stepActors = {
  // A step makes its own read (see step.ts); nothing streams into a step.
  source: fromEventObservable<StatusEvent, { job: JobRef }>(() => ({
    subscribe: () => ({ unsubscribe() {} }),
  })),
  runTools: fromPromise<ToolOutput[], { calls: readonly ToolCall[] }>(({ input, system }) => {
    const step = stepOf(system);
    return track(
      step,
      Promise.all(
        input.calls.map(async (call) => {
          const recorded = step.data.outputs?.[call.id];
          // Recorded before submission: a worker taking over submits it and never runs the handler again.
          if (recorded !== undefined) return { tool_call_id: call.id, output: recorded };
          const [output] = await runToolCalls(
            [call],
            step.tools,
            step.onToolError,
            step.signal,
            step.recordTool,
          );
          step.data.outputs = { ...step.data.outputs, [call.id]: output!.output };
          await step.save();
          return output!;
        }),
      ),
    );
  }),
  submitOutputs: gated<{ outputs: readonly ToolOutput[] }>(async (step, input) => {
    const { adapter, client, data } = step;
    const submit = adapter.submitToolOutputs;
    if (!submit)
      throw new ConfigurationError(`${data.job.kind} jobs take no tool outputs`, { job: data.job });
    const ids = input.outputs.map((o) => o.tool_call_id);
    const label = adapter.describe(data.job);
    if (data.submission?.fate === 'sent' && sameIds(data.submission.ids, ids)) {
      // These outputs may have landed (a worker died after sending, a 5xx, a 400): read before writing again.
      const read = await stepRequest(step, label, (onExtraRequest) =>
        adapter.retrieve(client, data.job, { signal: step.signal, onExtraRequest }),
      );
      if (!read.ok) {
        if (read.kind === 'final') handOver(step);
        return PARKED;
      }
      const waiting = isWaitingFor(read.event, ids);
      if (!waiting) {
        data.submission = undefined;
        return read.event;
      }
      data.submission = { ids, fate: 'retry' };
      return PARKED;
    }
    data.submission = { ids, fate: 'sent' };
    await step.save();
    data.calls++;
    try {
      // A kind whose answer takes a read besides the write (an agent session's events) counts it, and waits for the
      // fleet's limit, as it goes out.
      const { job } = await submit(client, data.job, input.outputs, {
        signal: step.signal,
        onExtraRequest: extraRequest(step),
      });
      data.submission = undefined;
      return toStatusEvent(adapter, job, step.now(), 'poll');
    } catch (e) {
      // The shared request rules sort the failure; this step acts on it with its one request spent.
      const failure = classifySubmissionError(e, { job: data.job }, `submitting tool outputs to ${label}`);
      if (failure.kind === 'final') {
        step.fault = failure.error;
        handOver(step);
      }
      if (failure.kind === 'not_processed') {
        // A 429 was not processed: nothing to reconcile; every worker backs off.
        data.submission = undefined;
        const hint = serverWaitMs(step, failure.failure.headers);
        step.rateLimitMs = Math.max(step.rateLimitMs ?? 0, hint ?? 1000);
      } else if (failure.kind === 'fate_unknown') {
        step.transient = { hintMs: undefined };
      }
      // 5xx, a dropped connection, a 400 (already answered, or another): the next step reads before writing again.
      return PARKED;
    }
  }),
  confirmExpiry: gated<{ job: JobRef; expiresAt: number | null }>(async (step, input) => {
    const { adapter, client, data } = step;
    const read = await stepRequest(step, adapter.describe(data.job), (onExtraRequest) =>
      adapter.retrieve(client, data.job, { signal: step.signal, onExtraRequest }),
    );
    if (read.ok) return read.event;
    if (read.kind === 'final') handOver(step);
    // As in process: `expired` without the server saying so only once it stayed unreachable past the grace.
    if (
      read.kind === 'transient' &&
      input.expiresAt !== null &&
      step.now() > input.expiresAt + EXPIRY_GRACE_MS
    ) {
      step.transient = undefined;
      throw new RetriesExhaustedError(
        `${adapter.describe(data.job)}: unreachable after expires_at`,
        data.failures + 1,
        {
          job: data.job,
        },
      );
    }
    return PARKED;
  }),
  cancelJob: gated<{ job: JobRef }>(async (step) => {
    const { adapter, client, data } = step;
    // A cancel that sends more than one request (an agent session's read after its cancel event) counts each and
    // waits for the fleet's limit, as a read does.
    const sent = await stepRequest(step, `cancelling ${adapter.describe(data.job)}`, (onExtraRequest) =>
      adapter.cancel(client, data.job, { onExtraRequest }),
    );
    if (sent.ok) return sent.event;
    // The watch stops either way: a refused cancel is the machine's onError (stopped), not the watch's fault.
    if (sent.kind === 'final') handOver(step);
    return PARKED;
  }),
};

/** The run machine with the actors of a queued step, built once. */
export const stepMachine = runMachine.provide({ actors: stepActors });

/** The machine's input for a step of the watch of `data`, on a worker with handlers for `toolNames`. */
export function stepInput(data: WatchData, toolNames: readonly string[]): RunMachineInput {
  return {
    job: data.job,
    kind: data.job.kind,
    jobId: kindSpec(data.job.kind).jobId(data.job),
    startedAt: data.startedAt,
    maxWaitMs: data.maxWaitMs,
    toolNames,
  };
}
