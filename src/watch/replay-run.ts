import type { Batch } from 'openai/resources/batches';
import type { Run } from 'openai/resources/beta/threads/runs/runs';
import type { Response } from 'openai/resources/responses/responses';
import { asyncScheduler, concat, map, Observable, type SchedulerLike, throwError, timer } from 'rxjs';
import { createActor, fromEventObservable, fromPromise, type InspectionEvent, type Observer } from 'xstate';
import { type RunMachineEvent, runMachine } from '../../machines/run.machine.js';
import { ConfigurationError } from '../errors/configuration-error.js';
import { onAbort } from '../internal/abort-listener.js';
import { clockFrom } from '../internal/scheduler-clock.js';
import { isJobKind, KIND_LIST, kindSpec } from '../kinds/registry.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import type { JobKind, JobRef, RunSnapshot, StatusEvent, ToolCall, ToolOutput } from '../model/types.js';
import { runToolCalls, type ToolErrorPolicy, type ToolHandlers } from '../tools/tools.js';
import { changeKey, toSnapshot } from './snapshot.js';
import { DEFAULT_MAX_WAIT_MS } from './watch-run.js';

/** A hand-written observation: a status, and the fields of the API object that the machine reads. */
export interface ScriptedStatus {
  readonly status: string;
  /** The job id on snapshots. */
  readonly id?: string;
  /** Server expiry in unix seconds (runs and batches), as the API gives it. */
  readonly expires_at?: number | null;
  /** The tool calls a run waits for in `requires_action`, in the API's shape. */
  readonly required_action?: Run['required_action'];
}

/**
 * One observation of a replay: a status string (`'in_progress'`), a {@link ScriptedStatus}, or an API object as
 * it was recorded (a snapshot's `job`: a `Response`, `Batch` or `Run`).
 */
export type ReplayStep = string | ScriptedStatus | Response | Batch | Run;

/** Options of `replayRun`. */
export interface ReplayRunOptions {
  /** Which kind of job the statuses belong to: it decides how they map onto the machine's states. */
  kind: JobKind;
  /** The observations, in order: one every `intervalMs`. */
  statuses: readonly ReplayStep[];
  /**
   * The job id on snapshots.
   *
   * @defaultValue the first recorded object's `id`, else `'replay'`
   */
  id?: string;
  /**
   * Time between two observations (and before the first), in ms of `scheduler` time.
   *
   * @defaultValue `1000`
   */
  intervalMs?: number;
  /**
   * The watcher's patience, as in `watchRun`: past it, `timed_out`.
   *
   * @defaultValue by kind (`DEFAULT_MAX_WAIT_MS`)
   */
  maxWaitMs?: number;
  /** Tool handlers, run for real on the recorded tool calls; their outputs go nowhere (there is no server). */
  tools?: ToolHandlers;
  /**
   * What a throwing tool handler does, as in `watchRun`.
   *
   * @defaultValue `'report'`
   */
  onToolError?: ToolErrorPolicy;
  /** Passed to XState's `createActor`, as in `watchRun` (a Stately inspector, or a function). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * Scheduler for the replay's pace and the machine's delays.
   *
   * @defaultValue RxJS `asyncScheduler` (real time)
   */
  scheduler?: SchedulerLike;
  /** Stop replaying when it aborts: the last snapshot is `stopped`. */
  signal?: AbortSignal;
}

const PLACEHOLDER_ID = 'replay';

function idOf(options: ReplayRunOptions): string {
  if (options.id !== undefined) return options.id;
  for (const step of options.statuses) {
    if (typeof step === 'object' && typeof step.id === 'string') return step.id;
  }
  return PLACEHOLDER_ID;
}

// Ids the kind needs beside the job's own (a run's thread) are placeholders: there is no server to ask.
function refFor(kind: JobKind, id: string): JobRef {
  return kindSpec(kind).refFromJobId(id, PLACEHOLDER_ID) as JobRef;
}

function validate(options: ReplayRunOptions): ConfigurationError | undefined {
  if (!options || typeof options !== 'object')
    return new ConfigurationError('replayRun needs an options object');
  if (!isJobKind(options.kind)) {
    return new ConfigurationError(
      `replayRun needs \`kind\`: ${KIND_LIST} (got ${JSON.stringify(options.kind)})`,
    );
  }
  if (!Array.isArray(options.statuses)) {
    return new ConfigurationError(
      'replayRun needs `statuses`: an array of status strings or recorded objects',
    );
  }
  const bad = options.statuses.findIndex(
    (s: unknown) =>
      typeof s !== 'string' &&
      !(s && typeof s === 'object' && typeof (s as { status?: unknown }).status === 'string'),
  );
  if (bad >= 0) {
    return new ConfigurationError(
      `replayRun: statuses[${bad}] is neither a status string nor an object with a string \`status\``,
    );
  }
  for (const [name, value] of [
    ['intervalMs', options.intervalMs],
    ['maxWaitMs', options.maxWaitMs],
  ] as const) {
    const least = name === 'intervalMs' ? 0 : Number.MIN_VALUE;
    if (value !== undefined && !(Number.isFinite(value) && value >= least)) {
      return new ConfigurationError(
        `replayRun: ${name} must be a ${least ? 'positive' : 'non-negative'} number of ms (got ${value})`,
      );
    }
  }
  return undefined;
}

/**
 * Runs the run machine by itself on a scripted or recorded sequence of statuses: no client, no network. Each
 * status arrives as a `status` event every `intervalMs`, exactly as a source would deliver it; tool handlers run
 * on recorded tool calls; timeout and expiry follow the scheduler's time. When the statuses run out before a
 * terminal one, the replay stops (`abort`) and the last snapshot says `stopped`. Emits like `watchRun`: the current
 * snapshot, then each change; completes after the last one. Useful to watch the machine in the Stately inspector,
 * to test tool handlers, or to replay a watch from its recorded snapshots (`snapshots.map((s) => s.job)`).
 *
 * @example
 * replayRun({ kind: 'response', statuses: ['queued', 'in_progress', 'completed'], inspect })
 *   .subscribe((s) => console.log(s.state));
 */
export function replayRun(options: ReplayRunOptions): Observable<RunSnapshot> {
  const invalid = validate(options);
  if (invalid) return throwError(() => invalid);
  const { kind, statuses, tools = {}, onToolError = 'report', inspect, signal } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const intervalMs = options.intervalMs ?? 1000;
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS[kind];
  const adapter = kindSpec(kind);
  const id = idOf(options);
  const job = refFor(kind, id);

  return new Observable<RunSnapshot>((subscriber) => {
    const stop = new AbortController();
    let last: StatusEvent | undefined;
    const observe = (step: ReplayStep): StatusEvent => {
      const object = typeof step === 'string' ? { id, status: step } : step;
      // biome-ignore lint/suspicious/noExplicitAny: a recorded object of the kind chosen at run time
      last = toStatusEvent(adapter as any, object as any, scheduler.now(), 'replay');
      return last;
    };
    // The recording is the source; when it runs out, the watch stops as if aborted.
    const script$ = concat(
      ...statuses.map((step) => timer(intervalMs, scheduler).pipe(map((): RunMachineEvent => observe(step)))),
      timer(intervalMs, scheduler).pipe(map((): RunMachineEvent => ({ type: 'abort', cancel: false }))),
    );
    // With no server, the recording answers for it: a submission or an expiry check reads the last observation
    // (so a passed expires_at is checked, and the watch goes on as the recording says).
    const answer = () =>
      last ? Promise.resolve(last) : Promise.reject(new Error('replayRun: nothing observed yet'));
    const machine = runMachine.provide({
      actors: {
        source: fromEventObservable<StatusEvent, { job: JobRef }>(() => script$ as Observable<StatusEvent>),
        runTools: fromPromise<ToolOutput[], { calls: readonly ToolCall[] }>(
          ({ input, signal: actorSignal }) =>
            runToolCalls(input.calls, tools, onToolError, AbortSignal.any([actorSignal, stop.signal])),
        ),
        submitOutputs: fromPromise<StatusEvent, { outputs: readonly ToolOutput[] }>(answer),
        confirmExpiry: fromPromise<StatusEvent, { job: JobRef; expiresAt: number | null }>(answer),
        cancelJob: fromPromise<StatusEvent, { job: JobRef }>(answer),
      },
    });
    const actor = createActor(machine, {
      input: {
        job,
        kind,
        jobId: id,
        startedAt: scheduler.now(),
        maxWaitMs,
        toolNames: Object.keys(tools),
      },
      clock: clockFrom(scheduler),
      ...(inspect ? { inspect } : {}),
    });

    let lastKey: string | undefined;
    const emit = (snapshot: RunSnapshot) => {
      const key = changeKey(snapshot);
      if (key === lastKey) return;
      lastKey = key;
      subscriber.next(snapshot);
    };
    const subscription = actor.subscribe({
      next: (s) => {
        const done = s.status === 'done';
        if (done && s.value === 'faulted') return subscriber.error(s.context.fault);
        emit(toSnapshot(s.context, !done ? 'watching' : s.value === 'stopped' ? 'stopped' : 'done', 0));
        if (done) subscriber.complete();
      },
      error: (e) => subscriber.error(e),
    });
    const abort = () => actor.send({ type: 'abort', cancel: false });
    actor.start();
    const first = actor.getSnapshot();
    if (first.status === 'active') emit(toSnapshot(first.context, 'watching', 0));
    let stopListening = () => {};
    if (signal?.aborted) abort();
    else if (signal) stopListening = onAbort(signal, abort);
    return () => {
      stopListening();
      subscription.unsubscribe();
      actor.stop();
      stop.abort();
    };
  });
}
