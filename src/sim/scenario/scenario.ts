import type { Random } from './random.js';

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
  /** Runs only: rounds of tool calls; the run reaches `requires_action` once per round. */
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

const PHASE_KEYS = Object.keys(DEFAULT_PHASES) as (keyof Phases)[];
const SCENARIO_KEYS = [
  'phases',
  'toolCalls',
  'outcome',
  'error',
  'incompleteReason',
  'expiresAfterMs',
  'submitLagMs',
  'reply',
  'requests',
  'stream',
  'failedRequests',
  'requestError',
  'responseBody',
  'workMs',
  'anyInputFile',
  'malformedOutputLines',
];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const show = (v: unknown) => JSON.stringify(v) ?? String(v);

function fail(path: string, expected: string, got: unknown): never {
  throw new ScenarioError(`${path}: expected ${expected}, got ${show(got)}`);
}

/** Checks an untrusted duration; throws {@link ScenarioError} naming `path`. */
export function validateDuration(v: unknown, path: string): asserts v is Duration {
  const expected = 'a duration: ms >= 0, [min, max], or { dist: "uniform"|"lognormal"|"exponential", ... }';
  if (isMs(v)) return;
  if (Array.isArray(v)) {
    if (v.length === 2 && isMs(v[0]) && isMs(v[1]) && v[0] <= v[1]) return;
    fail(path, '[min, max] with 0 <= min <= max', v);
  }
  if (!isRecord(v)) fail(path, expected, v);
  const optionalMax = v.max === undefined || isMs(v.max);
  if (v.dist === 'uniform' && isMs(v.min) && isMs(v.max) && v.min <= v.max) return;
  if (v.dist === 'lognormal' && isMs(v.median) && isMs(v.sigma) && optionalMax) return;
  if (v.dist === 'exponential' && isMs(v.mean) && optionalMax) return;
  fail(path, expected, v);
}

function checkToolCalls(v: unknown, path: string): void {
  if (!Array.isArray(v)) fail(path, 'an array of rounds, each an array of { name, arguments? }', v);
  v.forEach((round, r) => {
    if (!Array.isArray(round) || round.length === 0)
      fail(`${path}[${r}]`, 'a non-empty array of calls', round);
    round.forEach((call, c) => {
      const at = `${path}[${r}][${c}]`;
      if (!isRecord(call) || typeof call.name !== 'string' || call.name === '') {
        fail(at, '{ name: string, arguments?: string | object }', call);
      }
      if (call.arguments !== undefined && typeof call.arguments !== 'string' && !isRecord(call.arguments)) {
        fail(`${at}.arguments`, 'a JSON string or an object', call.arguments);
      }
    });
  });
}

function checkStreamScript(v: unknown, path: string): void {
  if (!isRecord(v)) fail(path, '{ deltas?: string[], everyMs?: duration }', v);
  for (const key of Object.keys(v)) {
    if (key !== 'deltas' && key !== 'everyMs') fail(`${path}.${key}`, 'one of the keys deltas, everyMs', key);
  }
  const { deltas, everyMs } = v;
  if (deltas !== undefined && !(Array.isArray(deltas) && deltas.every((d) => typeof d === 'string'))) {
    fail(`${path}.deltas`, 'an array of strings', deltas);
  }
  if (everyMs !== undefined) validateDuration(everyMs, `${path}.everyMs`);
}

function checkOutcome(v: unknown, path: string): void {
  if (typeof v === 'string' && (OUTCOMES as string[]).includes(v)) return;
  if (isRecord(v)) {
    const entries = Object.entries(v);
    const valid = entries.every(([k, w]) => (OUTCOMES as string[]).includes(k) && isMs(w));
    if (valid && entries.some(([, w]) => (w as number) > 0)) return;
  }
  fail(path, `one of ${OUTCOMES.join(', ')}, or weights like { "completed": 9, "failed": 1 }`, v);
}

/**
 * Checks an untrusted value (an option, or JSON from `metadata.sim_scenario`) and returns it typed.
 * Throws {@link ScenarioError} naming the first bad field.
 */
export function validateScenario(value: unknown, path = 'scenario'): Scenario {
  if (!isRecord(value)) fail(path, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!SCENARIO_KEYS.includes(key))
      fail(`${path}.${key}`, `one of the keys ${SCENARIO_KEYS.join(', ')}`, key);
  }
  const {
    phases,
    toolCalls,
    outcome,
    error,
    incompleteReason,
    expiresAfterMs,
    submitLagMs,
    reply,
    requests,
    stream,
    failedRequests,
    requestError,
    responseBody,
    workMs,
    anyInputFile,
    malformedOutputLines,
  } = value;
  if (phases !== undefined) {
    if (!isRecord(phases)) fail(`${path}.phases`, 'an object', phases);
    for (const [key, d] of Object.entries(phases)) {
      if (!(PHASE_KEYS as string[]).includes(key))
        fail(`${path}.phases.${key}`, `a phase (${PHASE_KEYS.join(', ')})`, key);
      validateDuration(d, `${path}.phases.${key}`);
    }
  }
  if (toolCalls !== undefined) checkToolCalls(toolCalls, `${path}.toolCalls`);
  if (outcome !== undefined) checkOutcome(outcome, `${path}.outcome`);
  if (error !== undefined) {
    const ok =
      isRecord(error) &&
      ['code', 'message'].every((k) => error[k] === undefined || typeof error[k] === 'string');
    if (!ok) fail(`${path}.error`, '{ code?: string, message?: string }', error);
  }
  if (incompleteReason !== undefined && typeof incompleteReason !== 'string') {
    fail(`${path}.incompleteReason`, 'a string', incompleteReason);
  }
  if (expiresAfterMs !== undefined && !(isMs(expiresAfterMs) && expiresAfterMs > 0)) {
    fail(`${path}.expiresAfterMs`, 'ms > 0', expiresAfterMs);
  }
  if (submitLagMs !== undefined) validateDuration(submitLagMs, `${path}.submitLagMs`);
  if (reply !== undefined && typeof reply !== 'string') fail(`${path}.reply`, 'a string', reply);
  if (requests !== undefined && !(Number.isInteger(requests) && (requests as number) >= 0)) {
    fail(`${path}.requests`, 'an integer >= 0', requests);
  }
  if (stream !== undefined) checkStreamScript(stream, `${path}.stream`);
  const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (
    failedRequests !== undefined &&
    !isCount(failedRequests) &&
    !(Array.isArray(failedRequests) && failedRequests.every(isCount))
  ) {
    fail(`${path}.failedRequests`, 'an integer >= 0 or an array of 0-based indexes', failedRequests);
  }
  if (requestError !== undefined) {
    const ok =
      isRecord(requestError) &&
      Object.keys(requestError).every((k) => ['status', 'code', 'message'].includes(k)) &&
      (requestError.status === undefined ||
        (Number.isInteger(requestError.status) &&
          (requestError.status as number) >= 400 &&
          (requestError.status as number) <= 599)) &&
      ['code', 'message'].every((k) => requestError[k] === undefined || typeof requestError[k] === 'string');
    if (!ok)
      fail(`${path}.requestError`, '{ status?: 400..599, code?: string, message?: string }', requestError);
  }
  if (responseBody !== undefined && !isRecord(responseBody)) {
    fail(`${path}.responseBody`, 'an object', responseBody);
  }
  if (workMs !== undefined) validateDuration(workMs, `${path}.workMs`);
  if (anyInputFile !== undefined && typeof anyInputFile !== 'boolean') {
    fail(`${path}.anyInputFile`, 'a boolean', anyInputFile);
  }
  if (
    malformedOutputLines !== undefined &&
    !(Array.isArray(malformedOutputLines) && malformedOutputLines.every((n) => isCount(n) && n >= 1))
  ) {
    fail(`${path}.malformedOutputLines`, 'an array of 1-based line numbers', malformedOutputLines);
  }
  return value as Scenario;
}

/** `override` over `base`: phases merged key by key, every other field replaced. */
export function mergeScenario(base: Scenario, override: Scenario): Scenario {
  return { ...base, ...override, phases: { ...base.phases, ...override.phases } };
}

/** Draws a duration in whole ms. */
export function sampleDuration(d: Duration, random: Random): number {
  if (typeof d === 'number') return Math.round(d);
  if (Array.isArray(d)) return Math.round(random.between(d[0] as number, d[1] as number));
  const spec = d as Exclude<Duration, number | readonly [number, number]>;
  switch (spec.dist) {
    case 'uniform':
      return Math.round(random.between(spec.min, spec.max));
    case 'lognormal':
      return Math.round(
        Math.min(spec.max ?? Number.POSITIVE_INFINITY, spec.median * Math.exp(spec.sigma * random.normal())),
      );
    case 'exponential':
      return Math.round(
        Math.min(spec.max ?? Number.POSITIVE_INFINITY, -spec.mean * Math.log(1 - random.next())),
      );
  }
}

/** Draws a phase's duration, falling back to {@link DEFAULT_PHASES}. */
export function samplePhase(scenario: Scenario, phase: keyof Phases, random: Random): number {
  return sampleDuration(scenario.phases?.[phase] ?? DEFAULT_PHASES[phase], random);
}

/** Resolves the scenario's outcome, drawing from weights when given. */
export function drawOutcome(scenario: Scenario, random: Random): Outcome {
  const outcome = scenario.outcome ?? 'completed';
  if (typeof outcome === 'string') return outcome;
  const total = OUTCOMES.reduce((sum, o) => sum + (outcome[o] ?? 0), 0);
  let pick = random.next() * total;
  for (const o of OUTCOMES) {
    pick -= outcome[o] ?? 0;
    if (pick < 0) return o;
  }
  return 'completed';
}

/** The metadata key a job's own scenario is read from. */
export const SCENARIO_METADATA_KEY = 'sim_scenario';

/**
 * The scenario for one job: `base`, overridden by `metadata.sim_scenario` when present (a name from
 * `named`, or JSON). Throws {@link ScenarioError}.
 */
export function resolveScenario(
  raw: string | undefined,
  base: Scenario,
  named: Readonly<Record<string, Scenario>>,
): Scenario {
  if (raw === undefined) return base;
  const path = `metadata.${SCENARIO_METADATA_KEY}`;
  if (!raw.trimStart().startsWith('{')) {
    const scenario = named[raw];
    if (!scenario) {
      const known = Object.keys(named);
      throw new ScenarioError(
        `${path}: no scenario named ${show(raw)} (known: ${known.length ? known.join(', ') : 'none'}); pass JSON or a name given in startSimulator({ scenarios })`,
      );
    }
    return mergeScenario(base, scenario);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ScenarioError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return mergeScenario(base, validateScenario(parsed, path));
}
