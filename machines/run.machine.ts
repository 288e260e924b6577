import { assign, emit, fromEventObservable, fromPromise, setup } from 'xstate';
import type {
  JobKind,
  JobRef,
  JobState,
  JobTerminalState,
  RunState,
  SourceName,
  StatusEvent,
  ToolCall,
  ToolOutput,
} from '../src/model/types.js';

/**
 * The statuses after which a job never changes, in a stable order: the machine's own list, so that it imports
 * nothing from `src/` but types.
 */
const JOB_TERMINAL_STATES = [
  'completed',
  'failed',
  'cancelled',
  'expired',
  'incomplete',
] as const satisfies readonly JobTerminalState[];

/** Compiles only while the list above names every terminal state of the type. */
type EveryTerminalState<Listed extends JobTerminalState> = [Exclude<JobTerminalState, Listed>] extends [never]
  ? true
  : never;
const everyTerminalStateListed: EveryTerminalState<(typeof JOB_TERMINAL_STATES)[number]> = true;
void everyTerminalStateListed;

/**
 * The children of `watching` where the machine rests: no substate and nothing to run, and a status event of the same
 * state only records the observation (the `isSameState` rule). The queue's idle step and a watch's repeated reads
 * (`src/watch/repeat.ts`) take their shortcuts only there.
 */
export const RESTING_STATES: ReadonlySet<unknown> = new Set(['queued', 'in_progress', 'cancelling']);

/** What the machine is created with. Times are epoch ms, handed in so the machine never reads a clock. */
export interface RunMachineInput {
  job: JobRef;
  kind: JobKind;
  jobId: string;
  /** When the watch started. */
  startedAt: number;
  /** How long the watcher waits before giving up (`timed_out`). */
  maxWaitMs: number;
  /** Names of the tools that have handlers; a requested tool outside this list leaves the run to the user. */
  toolNames: readonly string[];
}

/** The machine's memory: everything a snapshot shows, plus the absolute deadlines that survive a restore. */
export interface RunMachineContext {
  job: JobRef;
  kind: JobKind;
  jobId: string;
  state: RunState;
  status: string | undefined;
  latest: unknown;
  source: SourceName | undefined;
  /** The source's own word on the last observation (`StatusEvent.note`): a fallback to polling, a watchdog check. */
  sourceNote?: string | undefined;
  /** Time of the last applied observation (the start, before the first). */
  at: number;
  startedAt: number;
  /** Absolute: the watcher gives up at this time. */
  deadlineAt: number;
  /** Absolute: the server's `expires_at`, or null. */
  expiresAt: number | null;
  /** An `expires_at` a confirming read found the job still running after: not checked again. */
  checkedExpiry: number | null;
  /** `expired` was declared because the server stayed unreachable long after `expires_at`, not because it said so. */
  expiryUnconfirmed: boolean;
  toolNames: readonly string[];
  /** Tool calls the run waits for that are not answered yet. */
  pendingToolCalls: readonly ToolCall[];
  /** Requested tools with no handler. */
  missingHandlers: readonly string[];
  /** Every tool_call.id answered in this run: never handled twice. */
  answered: readonly string[];
  /** Outputs computed and about to be submitted. */
  outputs: readonly ToolOutput[];
  /**
   * Why the watch itself failed (not the job): a typed error from a source or an actor. Absent until then: the
   * context keeps to 19 keys (see `sourceNote` in the context below).
   */
  fault?: unknown;
}

/**
 * Time as data: "it is now `at` (epoch ms)". A watch restored from a persisted snapshot gets no `after` timer
 * back (statelyai/xstate#5331), so whoever restores it sends ticks; the guards decide from the absolute
 * deadlines in context, so a restored watch decides exactly as one that never stopped.
 */
export type RunMachineTick = { type: 'tick'; at: number };

/**
 * Events the machine understands. `status` comes from sources; `abort` from `watchRun`'s AbortSignal; `tick`
 * from whoever keeps time for a restored watch (`watchRun`, a queue worker's step).
 */
export type RunMachineEvent = StatusEvent | { type: 'abort'; cancel: boolean } | RunMachineTick;

/** Events the machine emits for the outside world (`actor.on(...)`). */
export type RunMachineEmitted = { type: 'nudge' };

// Lifecycle order: an observation of a lower rank than the current state is stale (a run never goes back to
// queued). in_progress and requires_action share a rank because a run loops between them; time decides there.
const RANK: Record<RunState, number> = {
  queued: 0,
  in_progress: 1,
  requires_action: 1,
  cancelling: 2,
  completed: 3,
  failed: 3,
  cancelled: 3,
  expired: 3,
  incomplete: 3,
  timed_out: 3,
};

// Every active state arms the expiry guard on entry: the delay is computed from the absolute `expiresAt` then.
const UNTIL_EXPIRY = { untilExpiry: { guard: 'hasExpiry', target: 'confirming_expiry' } } as const;

// The same expiry, noticed from a tick: what a restored watch (whose `after` timers are gone) relies on.
const TICK_EXPIRY = { tick: { guard: 'isPastExpiry', target: 'confirming_expiry' } } as const;

// Waiting in requires_action: repeated observations are recorded, and only new tool call ids start a round.
const ON_NEW_TOOL_CALLS = [
  { guard: 'isStale' },
  { guard: 'hasNewToolCalls', target: 'deciding', actions: ['recordStatus', 'recordToolCalls'] },
  { guard: 'isSameState', actions: 'recordStatus' },
] as const;

// Node's timers fire at once for delays over 2^31-1 ms; an unknown expiry must not look like a due one.
const NEVER_MS = 2 ** 31 - 1;

function isStaleEvent(context: RunMachineContext, event: StatusEvent): boolean {
  if (event.state === undefined) return event.at < context.at;
  const rank = RANK[event.state];
  const current = RANK[context.state];
  if (rank !== current) return rank < current;
  return event.at < context.at;
}

/** What one observation changes in context; an unknown status keeps the state and records the status verbatim. */
function observe(context: RunMachineContext, o: StatusEvent): Partial<RunMachineContext> {
  return {
    state: o.state ?? context.state,
    status: o.status,
    latest: o.job,
    source: o.source,
    sourceNote: o.note,
    at: Math.max(context.at, o.at),
    expiresAt: o.expiresAt,
  };
}

function newToolCalls(context: RunMachineContext, event: StatusEvent): ToolCall[] {
  return event.toolCalls.filter((c) => !context.answered.includes(c.id));
}

/** The calls of a requires_action observation still to answer, and the requested tools without a handler. */
function toolCallsOf(context: RunMachineContext, event: StatusEvent): Partial<RunMachineContext> {
  const pending = newToolCalls(context, event);
  const missing = [...new Set(pending.filter((c) => !context.toolNames.includes(c.name)).map((c) => c.name))];
  return { pendingToolCalls: pending, missingHandlers: missing };
}

/** Placeholder actors: `watchRun` provides the real ones with `runMachine.provide({ actors })`. */
const unprovided = (name: string) => () => {
  throw new Error(`runMachine: actor '${name}' must be provided by watchRun (machine.provide)`);
};

/**
 * The lifecycle of one asynchronous OpenAI job, from the watcher's side. Pure: no I/O, no clock. Observations
 * arrive as `status` events from the invoked `source`; time arrives as `tick` events checked against absolute
 * deadlines (restore-safe), and in process also through the `maxWait` and `untilExpiry` delays; side effects (run tool handlers, submit outputs, confirm expiry, cancel) are actors that `watchRun`
 * provides.
 */
export const runMachine = setup({
  types: {
    input: {} as RunMachineInput,
    context: {} as RunMachineContext,
    events: {} as RunMachineEvent,
    emitted: {} as RunMachineEmitted,
  },
  actors: {
    source: fromEventObservable<StatusEvent, { job: JobRef }>(unprovided('source')),
    runTools: fromPromise<ToolOutput[], { calls: readonly ToolCall[] }>(unprovided('runTools')),
    submitOutputs: fromPromise<StatusEvent, { outputs: readonly ToolOutput[] }>(unprovided('submitOutputs')),
    confirmExpiry: fromPromise<StatusEvent, { job: JobRef; expiresAt: number | null }>(
      unprovided('confirmExpiry'),
    ),
    cancelJob: fromPromise<StatusEvent, { job: JobRef }>(unprovided('cancelJob')),
  },
  guards: {
    isStale: ({ context, event }) => event.type === 'status' && isStaleEvent(context, event),
    isState: ({ event }, params: { state: JobState }) =>
      event.type === 'status' && event.state === params.state,
    isUnknownStatus: ({ event }) => event.type === 'status' && event.state === undefined,
    isSameState: ({ context, event }) => event.type === 'status' && event.state === context.state,
    hasNewToolCalls: ({ context, event }) =>
      event.type === 'status' && newToolCalls(context, event).length > 0,
    isAnswerableRound: ({ context, event }) =>
      event.type === 'status' &&
      event.state === 'requires_action' &&
      newToolCalls(context, event).length > 0 &&
      (context.expiresAt === null || event.at < context.expiresAt),
    hasMissingHandlers: ({ context }) => context.missingHandlers.length > 0,
    hasPendingCalls: ({ context }) => context.pendingToolCalls.length > 0,
    hasExpiry: ({ context }) => context.expiresAt !== null && context.expiresAt !== context.checkedExpiry,
    /** The expiry check ran out of time with the server unreachable (a RetriesExhaustedError). */
    isUnreachable: ({ event }) =>
      (event as unknown as { error?: { code?: unknown } }).error?.code === 'retries_exhausted',
    shouldCancel: ({ event }) => event.type === 'abort' && event.cancel,
    isPastDeadline: ({ context, event }) => event.type === 'tick' && event.at >= context.deadlineAt,
    // Expiry wins only when it came first: an uninterrupted watch would have confirmed it before timing out.
    isPastExpiry: ({ context, event }) =>
      event.type === 'tick' &&
      context.expiresAt !== null &&
      context.expiresAt !== context.checkedExpiry &&
      event.at >= context.expiresAt &&
      context.expiresAt <= context.deadlineAt,
    isOutputState: ({ event }, params: { state: JobState }) =>
      (event as unknown as { output?: StatusEvent }).output?.state === params.state,
  },
  actions: {
    recordStatus: assign(({ context, event }) => (event.type === 'status' ? observe(context, event) : {})),
    recordToolCalls: assign(({ context, event }) =>
      event.type === 'status' ? toolCallsOf(context, event) : {},
    ),
    /** The tool calls of an actor's requires_action observation (a confirming read). */
    recordOutputToolCalls: assign(({ context }, params: { observation: StatusEvent }) =>
      toolCallsOf(context, params.observation),
    ),
    /** A confirming read found the job running after expires_at: believe the server, do not check that one again. */
    disarmExpiry: assign(({ context }) => ({ checkedExpiry: context.expiresAt })),
    markExpiryUnconfirmed: assign({ expiryUnconfirmed: true }),
    /** Applies an actor's observation (a submission, a confirming retrieve, a cancel) unless it is stale. */
    recordOutput: assign(({ context }, params: { observation: StatusEvent }) =>
      isStaleEvent(context, params.observation) ? {} : observe(context, params.observation),
    ),
    settle: assign((_, params: { state: RunState }) => ({ state: params.state })),
    /** The watcher gave up: the moment is the deadline itself, not the last observation. */
    giveUp: assign(({ context }) => ({
      state: 'timed_out' as const,
      at: Math.max(context.at, context.deadlineAt),
    })),
    recordOutputs: assign((_, params: { outputs: readonly ToolOutput[] }) => ({ outputs: params.outputs })),
    markAnswered: assign(({ context }) => ({
      answered: [...new Set([...context.answered, ...context.outputs.map((o) => o.tool_call_id)])],
      pendingToolCalls: [],
      outputs: [],
    })),
    recordFault: assign((_, params: { error: unknown }) => ({ fault: params.error })),
    nudgeSource: emit({ type: 'nudge' } as const),
  },
  delays: {
    maxWait: ({ context }) => Math.max(0, context.deadlineAt - context.at),
    untilExpiry: ({ context }) =>
      context.expiresAt === null ? NEVER_MS : Math.min(NEVER_MS, Math.max(0, context.expiresAt - context.at)),
  },
}).createMachine({
  id: 'run',
  context: ({ input }) => ({
    job: input.job,
    kind: input.kind,
    jobId: input.jobId,
    // Right after create a job is always queued: the watch starts there rather than in an "unknown" state.
    state: 'queued',
    status: undefined,
    latest: undefined,
    source: undefined,
    // Present from the start although usually undefined. XState applies every assign as
    // Object.assign({}, context, update): V8 copies a context with fast properties by cloning its shape, but an update
    // that adds a key, or a context built with more than 19 keys (XState builds the first one by assigning this
    // object onto {}), gives a dictionary-mode copy, and every copy after it is one: about 4 µs more per poll answer
    // (docs/benchmarks.md, CPU per retrieve). So every key is here from the start, `fault` aside (set as the watch
    // ends), and there are 19 of them.
    sourceNote: undefined,
    at: input.startedAt,
    startedAt: input.startedAt,
    deadlineAt: input.startedAt + input.maxWaitMs,
    expiresAt: null,
    checkedExpiry: null,
    expiryUnconfirmed: false,
    toolNames: input.toolNames,
    pendingToolCalls: [],
    missingHandlers: [],
    answered: [],
    outputs: [],
  }),
  initial: 'watching',
  states: {
    watching: {
      invoke: {
        id: 'source',
        src: 'source',
        input: ({ context }) => ({ job: context.job }),
        onError: {
          target: 'faulted',
          actions: { type: 'recordFault', params: ({ event }) => ({ error: event.error }) },
        },
      },
      after: { maxWait: { target: 'timed_out' } },
      on: {
        abort: [{ guard: 'shouldCancel', target: 'stopping' }, { target: 'stopped' }],
        tick: { guard: 'isPastDeadline', target: 'timed_out' },
        status: [
          { guard: 'isStale' },
          ...JOB_TERMINAL_STATES.map((state) => ({
            guard: { type: 'isState' as const, params: { state } },
            target: state,
            actions: 'recordStatus' as const,
          })),
          // A status this version does not know: keep it verbatim, stay where we are, keep watching.
          { guard: 'isUnknownStatus', actions: 'recordStatus' },
          // A round the server asked for before expires_at, seen while the watch is elsewhere (checking the expiry,
          // its state still requires_action from the last round): answer it. The same-state rule below would record
          // the status and drop its calls, and the run would expire waiting for a round the watch had seen.
          {
            guard: 'isAnswerableRound',
            target: '.requires_action',
            actions: ['recordStatus', 'recordToolCalls'],
          },
          { guard: 'isSameState', actions: 'recordStatus' },
          ...(['queued', 'in_progress', 'cancelling'] as const).map((state) => ({
            guard: { type: 'isState' as const, params: { state } },
            target: `.${state}`,
            actions: 'recordStatus' as const,
          })),
          {
            guard: { type: 'isState', params: { state: 'requires_action' } },
            target: '.requires_action',
            actions: ['recordStatus', 'recordToolCalls'],
          },
        ],
      },
      initial: 'queued',
      states: {
        queued: {
          after: UNTIL_EXPIRY,
          on: TICK_EXPIRY,
        },
        in_progress: {
          after: UNTIL_EXPIRY,
          on: TICK_EXPIRY,
        },
        requires_action: {
          after: UNTIL_EXPIRY,
          on: TICK_EXPIRY,
          initial: 'deciding',
          states: {
            deciding: {
              always: [
                { guard: 'hasMissingHandlers', target: 'blocked' },
                { guard: 'hasPendingCalls', target: 'running_tools' },
                { target: 'submitted' },
              ],
            },
            running_tools: {
              on: { status: { guard: 'isSameState', actions: 'recordStatus' } },
              invoke: {
                id: 'runTools',
                src: 'runTools',
                input: ({ context }) => ({ calls: context.pendingToolCalls }),
                onDone: {
                  target: 'submitting',
                  actions: { type: 'recordOutputs', params: ({ event }) => ({ outputs: event.output }) },
                },
                onError: {
                  target: '#run.faulted',
                  actions: { type: 'recordFault', params: ({ event }) => ({ error: event.error }) },
                },
              },
            },
            submitting: {
              // Polls may keep reading requires_action while the submission is in flight: record, never resubmit.
              on: { status: { guard: 'isSameState', actions: 'recordStatus' } },
              invoke: {
                id: 'submitOutputs',
                src: 'submitOutputs',
                input: ({ context }) => ({ outputs: context.outputs }),
                onDone: { target: 'submitted', actions: ['markAnswered', 'nudgeSource'] },
                onError: {
                  target: '#run.faulted',
                  actions: { type: 'recordFault', params: ({ event }) => ({ error: event.error }) },
                },
              },
            },
            submitted: {
              // The status can read requires_action for the same calls for a moment after submission; only new
              // call ids start another round.
              on: { status: ON_NEW_TOOL_CALLS },
            },
            // A requested tool has no handler: the user answers, the run expires, or a new round comes.
            blocked: { on: { status: ON_NEW_TOOL_CALLS } },
          },
        },
        cancelling: {
          after: UNTIL_EXPIRY,
          on: TICK_EXPIRY,
        },
        confirming_expiry: {
          // A read, retried, settles it: a terminal status ends the watch; a job still running goes on being
          // watched; `expired` without the server saying so only when it stayed unreachable long after expires_at.
          invoke: {
            id: 'confirmExpiry',
            src: 'confirmExpiry',
            input: ({ context }) => ({ job: context.job, expiresAt: context.expiresAt }),
            onDone: [
              ...JOB_TERMINAL_STATES.map((state) => ({
                guard: { type: 'isOutputState' as const, params: { state } },
                target: `#run.${state}`,
                actions: {
                  type: 'recordOutput' as const,
                  params: ({ event }: { event: { output: StatusEvent } }) => ({ observation: event.output }),
                },
              })),
              ...(['queued', 'in_progress', 'cancelling'] as const).map((state) => ({
                guard: { type: 'isOutputState' as const, params: { state } },
                target: `#run.watching.${state}`,
                actions: [
                  'disarmExpiry' as const,
                  {
                    type: 'recordOutput' as const,
                    params: ({ event }: { event: { output: StatusEvent } }) => ({
                      observation: event.output,
                    }),
                  },
                ],
              })),
              {
                guard: { type: 'isOutputState', params: { state: 'requires_action' } },
                target: '#run.watching.requires_action',
                actions: [
                  'disarmExpiry',
                  { type: 'recordOutput', params: ({ event }) => ({ observation: event.output }) },
                  { type: 'recordOutputToolCalls', params: ({ event }) => ({ observation: event.output }) },
                ],
              },
              // A status this version does not know: keep it, keep watching.
              {
                target: '#run.watching.in_progress',
                actions: [
                  'disarmExpiry',
                  { type: 'recordOutput', params: ({ event }) => ({ observation: event.output }) },
                ],
              },
            ],
            onError: [
              { guard: 'isUnreachable', target: '#run.expired', actions: 'markExpiryUnconfirmed' },
              {
                target: '#run.faulted',
                actions: { type: 'recordFault', params: ({ event }) => ({ error: event.error }) },
              },
            ],
          },
        },
      },
    },
    stopping: {
      invoke: {
        id: 'cancelJob',
        src: 'cancelJob',
        input: ({ context }) => ({ job: context.job }),
        onDone: {
          target: 'stopped',
          actions: { type: 'recordOutput', params: ({ event }) => ({ observation: event.output }) },
        },
        onError: { target: 'stopped' },
      },
    },
    completed: { type: 'final', entry: { type: 'settle', params: { state: 'completed' } } },
    failed: { type: 'final', entry: { type: 'settle', params: { state: 'failed' } } },
    cancelled: { type: 'final', entry: { type: 'settle', params: { state: 'cancelled' } } },
    expired: { type: 'final', entry: { type: 'settle', params: { state: 'expired' } } },
    incomplete: { type: 'final', entry: { type: 'settle', params: { state: 'incomplete' } } },
    timed_out: { type: 'final', entry: 'giveUp' },
    /** The watcher stopped on abort; the job's state is whatever was last seen. */
    stopped: { type: 'final' },
    /** The watch itself failed (`fault` holds the typed error); watchRun turns it into an Observable error. */
    faulted: { type: 'final' },
  },
});
