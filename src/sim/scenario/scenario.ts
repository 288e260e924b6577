/**
 * How long a phase lasts, in clock ms: a fixed number, `[min, max]` uniform, or a named distribution
 * (`max` caps a long tail).
 */
export type Duration =
  | number
  | readonly [min: number, max: number]
  | { dist: 'uniform'; min: number; max: number }
  | { dist: 'lognormal'; median: number; sigma: number; max?: number }
  | { dist: 'exponential'; mean: number; max?: number };

/** How a job ends. Not every kind has every outcome: responses never expire, batches are never incomplete. */
export type Outcome = 'completed' | 'failed' | 'incomplete' | 'expired' | 'cancelled';

/** Every outcome, in a stable order (weights are drawn in this order). */
export const OUTCOMES: readonly Outcome[] = ['completed', 'failed', 'incomplete', 'expired', 'cancelled'];

/** Phases a script can time. A kind uses the ones it has; the others are ignored. */
export interface Phases {
  /** runs, responses: time spent `queued` (after create, and for runs again after each tool-output submission). */
  queued?: Duration;
  /** runs, responses, batches: time spent working before the next step (a tool-call round, or the outcome). */
  in_progress?: Duration;
  /** batches: time spent `validating`. */
  validating?: Duration;
  /** batches: time spent `finalizing` before `completed`. */
  finalizing?: Duration;
  /** runs, batches: time spent `cancelling` before `cancelled`. */
  cancelling?: Duration;
}

/** One function call the run asks for; `arguments` is sent as a JSON string (objects are stringified). */
export interface ToolCallSpec {
  name: string;
  arguments?: string | Record<string, unknown>;
  /**
   * Agent sessions only: what the session asks for. `function` (default) is a function call named `name`;
   * `mcp_approval` asks to approve a call of tool `name` on an MCP server; `computer_use_approval` asks to let the
   * browser open the origin `name`.
   */
  type?: 'function' | 'mcp_approval' | 'computer_use_approval';
}

/**
 * A scripted lifecycle. Set one for every job with `startSimulator({ scenario })`, name a few with
 * `scenarios`, and override per job with `metadata.sim_scenario` (a name, or compact JSON merged over the
 * default: `phases` key by key, every other field replaced).
 *
 * @example
 * { phases: { queued: 500, in_progress: [2000, 4000] },
 *   toolCalls: [[{ name: 'get_weather', arguments: { city: 'Paris' } }]],
 *   outcome: 'completed' }
 */
export interface Scenario {
  /** Phase durations; defaults in {@link DEFAULT_PHASES}. */
  phases?: Phases;
  /** Runs and agent sessions: rounds of tool calls (and approvals); each round is one `requires_action`. */
  toolCalls?: ToolCallSpec[][];
  /** The final status, or weights drawn per job from the seeded generator (`{ completed: 9, failed: 1 }`). */
  outcome?: Outcome | Partial<Record<Outcome, number>>;
  /** For `failed`: the `last_error` / `error` / batch error. Code defaults to `server_error`. */
  error?: { code?: string; message?: string };
  /** For `incomplete`: `incomplete_details.reason` (runs: `max_completion_tokens`, responses: `max_output_tokens`). */
  incompleteReason?: string;
  /** Runs and batches: `expires_at` = creation + this (runs 10 min, batches 24 h by default). */
  expiresAfterMs?: number;
  /** Runs: how long the status keeps reading `requires_action` after outputs were accepted (default 0). */
  submitLagMs?: Duration;
  /** Text of the assistant's reply (run message, response output). */
  reply?: string;
  /** Batches: `request_counts.total` (default: the input file's line count, else 10). */
  requests?: number;
  /** Batches: which requests fail: a count spread evenly over the batch, or their 0-based indexes (default 0). */
  failedRequests?: number | readonly number[];
  /**
   * Batches: how a failed request reads in the error file. Without `status`: `response: null` and
   * `error: { code, message }` (default code `server_error`); with `status`: a `response` with that HTTP status
   * and OpenAI's error body, and `error: null`.
   */
  requestError?: { status?: number; code?: string; message?: string };
  /** Batches: the `response.body` of every successful request (default: a small object of the endpoint's type). */
  responseBody?: Record<string, unknown>;
  /**
   * Batches: how long the requests take, finishing evenly from the start of `in_progress` (default: the
   * `in_progress` phase, which then lasts at least this long for a batch that completes). A cancel or the expiry
   * cuts it short: requests not finished by then are `batch_cancelled` / `batch_expired` in the error file.
   */
  workMs?: Duration;
  /** Batches: accept an `input_file_id` that no upload made (default false: a 404 `No such File object`). */
  anyInputFile?: boolean;
  /**
   * Batches: 1-based numbers of output-file lines written malformed (cut off mid-object), to test readers of
   * result files. Not something the API does on purpose; a truncated download looks like it. Default none.
   */
  malformedOutputLines?: readonly number[];
  /** Responses created with `stream: true`: how the reply is streamed (see {@link StreamScript}). */
  stream?: StreamScript;
}

/**
 * How a streamed response writes its text: the pieces (`response.output_text.delta` events) and their pace.
 * Without `deltas` the reply is cut into words; without `everyMs` the deltas are spread evenly over `in_progress`.
 * With `everyMs`, `in_progress` lasts at least as long as the deltas take. A `failed` or `incomplete` response stops
 * after the first half of them; a cancel stops them where it lands.
 *
 * @example { reply: 'Hello there', stream: { deltas: ['Hel', 'lo', ' there'], everyMs: 40 } }
 */
export interface StreamScript {
  /** The text, piece by piece; joined, it is the reply (it replaces `reply` when both are given). */
  deltas?: string[];
  /** Time from one delta to the next (the first comes this long after `in_progress` starts). */
  everyMs?: Duration;
}

/** Phase durations used where a scenario sets none. */
export const DEFAULT_PHASES: Required<Phases> = {
  queued: 200,
  in_progress: [1000, 3000],
  validating: 500,
  finalizing: 500,
  cancelling: 300,
};

/** The scenario a simulator uses when given none: every job completes after a few seconds. */
export const DEFAULT_SCENARIO: Scenario = { outcome: 'completed' };

/** A scenario that does not make sense; `path` says where (`phases.queued`, ...). */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** `override` over `base`: phases merged key by key, every other field replaced. */
export function mergeScenario(base: Scenario, override: Scenario): Scenario {
  return { ...base, ...override, phases: { ...base.phases, ...override.phases } };
}

/** The metadata key a job's own scenario is read from. */
export const SCENARIO_METADATA_KEY = 'sim_scenario';
