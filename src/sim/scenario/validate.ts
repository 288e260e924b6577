import {
  DEFAULT_PHASES,
  type Duration,
  mergeScenario,
  OUTCOMES,
  type Phases,
  SCENARIO_METADATA_KEY,
  type Scenario,
  ScenarioError,
} from './scenario.js';

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
      if (
        call.type !== undefined &&
        !['function', 'mcp_approval', 'computer_use_approval'].includes(call.type as string)
      ) {
        fail(`${at}.type`, "'function', 'mcp_approval' or 'computer_use_approval'", call.type);
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
