/**
 * What a source observes of a job, whatever its kind: the states statuses map onto, the tool calls a job waits
 * for, and the normalized status event. A leaf: the kind specs (`src/kinds/`) build on it, and `types.ts`, which
 * derives the job types from the kind specs, re-exports it.
 */

/** Machine states while the job is still running. */
export type ActiveState = 'queued' | 'in_progress' | 'requires_action' | 'cancelling';

/** Terminal states that the API reports. */
export type JobTerminalState = 'completed' | 'failed' | 'cancelled' | 'expired' | 'incomplete';

/** Every state the API can put a job in, mapped onto runstate's vocabulary. */
export type JobState = ActiveState | JobTerminalState;

/** Terminal states, including the watcher-local `timed_out` (we stopped waiting; the job may still run). */
export type TerminalState = JobTerminalState | 'timed_out';

/** The machine's state as users see it on a snapshot. */
export type RunState = ActiveState | TerminalState;

/** Where an observation came from (`replay`: a scripted or recorded status fed by `replayRun`). */
export type SourceName = 'poll' | 'webhook' | 'stream' | 'replay';

/** A function tool call that a run waits for (`requires_action`). */
export interface ToolCall {
  id: string;
  name: string;
  /** The raw JSON string the model produced. */
  arguments: string;
}

/** One output for one tool call, submitted with all the others in one request. */
export interface ToolOutput {
  tool_call_id: string;
  output: string;
}

/** Request options runstate passes to every SDK call: no hidden SDK retries, and cancellable. */
export interface CallOptions {
  signal?: AbortSignal;
  /**
   * Called once for each HTTP request a call sends beyond its first, just before it goes out (a fine-tune's
   * retrieve that also reads its events, `progressFrom: 'events'`; an idle agent session's read of its latest turn;
   * a session's cancel or answer and the read around it): whoever counts requests (`calls`, a shared budget)
   * counts it. A returned promise is awaited before the request is sent, so a limit can hold it back (the queue
   * takes a slot of its fleet-wide limiter); a rejection fails the call as a failed request would.
   */
  onExtraRequest?: () => void | Promise<void>;
}

/**
 * A normalized observation of a job, as every source emits it. Sources are interchangeable: the machine only
 * sees these.
 */
export interface StatusEvent<Job = unknown> {
  type: 'status';
  /** The API's status mapped onto runstate's states; `undefined` for a status this version does not know. */
  state: JobState | undefined;
  /** The API's own status string, verbatim. */
  status: string;
  /** The latest API object (Run, Response, Batch). */
  job: Job;
  /** Epoch ms at which this observation was true (response time for a poll, event time for a webhook). */
  at: number;
  source: SourceName;
  /** The server's `expires_at` in epoch ms, or null when it has none. */
  expiresAt: number | null;
  /** Tool calls the job waits for (only in `requires_action`). */
  toolCalls: readonly ToolCall[];
  /**
   * What the source wants the snapshot to say about how it watches, in a sentence: that `stream()` fell back to
   * polling and why, that a silent stream was checked with a retrieve. Shown as the snapshot's `note` when nothing
   * weightier is to be said.
   */
  note?: string;
}
