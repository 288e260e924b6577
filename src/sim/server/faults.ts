import type { Random } from '../scenario/random.js';
import { sampleDuration } from '../scenario/sample.js';
import { type Duration, ScenarioError } from '../scenario/scenario.js';
import { validateDuration } from '../scenario/validate.js';
import { DEFAULT_RATE_LIMITS, type LimiterTake, RateLimiter, type RateLimits } from './rate-limiter.js';

/**
 * When a fault fires. `next: N` fires on the next N matching requests (deterministic, for tests), then
 * `probability` applies (default 0) to each later one. `routes` limits the rule to route names or globs
 * (`'runs.retrieve'`, `'*.retrieve'`, `'batches.*'`); default: every route.
 */
export interface FaultRule {
  /**
   * Chance that the fault fires on each matching request, once `next` is spent.
   *
   * @defaultValue `0`
   */
  probability?: number;
  /**
   * Fire on the next N matching requests, deterministically.
   *
   * @defaultValue `0`
   */
  next?: number;
  /**
   * Route names or globs the rule applies to.
   *
   * @defaultValue every route
   */
  routes?: readonly string[];
}

/**
 * A 429 with `retry-after-ms` and `retry-after`. Its `x-ratelimit-*` headers are those of any answer: the limiter's
 * true state, so an injected 429 never claims a limit the simulator does not have.
 */
export interface RateLimitFault extends FaultRule {
  /**
   * Wait the 429 asks for, in ms of the simulator's clock (as the limiter's own 429s count theirs): the header says
   * it in the client's time, divided by a scaled clock's speed.
   *
   * @defaultValue `1000`
   */
  retryAfterMs?: number;
  /**
   * The error's code. `'insufficient_quota'` is the 429 of an account out of credit: OpenAI sends it with no
   * `retry-after`, since waiting alone does not end it (`retryAfterMs` is then unused).
   *
   * @defaultValue `'rate_limit_exceeded'`
   */
  code?: 'rate_limit_exceeded' | 'insufficient_quota';
}

/** A 5xx in OpenAI's error shape. */
export interface ServerErrorFault extends FaultRule {
  /**
   * The status answered.
   *
   * @defaultValue `500`
   */
  status?: 500 | 502 | 503 | 504;
  /**
   * Apply the request first, then answer the 5xx: the write landed but the client is told it failed (a gateway
   * that timed out on a slow backend). Without it, the request is refused before anything happens.
   *
   * @defaultValue `false`
   */
  afterHandling?: boolean;
}

/** A dropped connection. */
export interface DropFault extends FaultRule {
  /**
   * Apply the request first, then destroy the socket: the write landed, the answer is lost.
   *
   * @defaultValue `false`
   */
  afterHandling?: boolean;
}

/** Added latency before the answer, in wall-clock ms (even with a manual clock: it models the network). */
export interface LatencyFault {
  ms: Duration;
  routes?: readonly string[];
}

/** The `openai-poll-after-ms` header; on `*.retrieve` routes unless `routes` says otherwise. */
export interface PollAfterFault {
  /** In ms of the simulator's clock; the header says it in the client's time (divided by a scaled clock's speed). */
  ms: number;
  routes?: readonly string[];
}

/**
 * A fault on one SSE connection (a response created with `stream: true`, or `GET /responses/{id}?stream=true`):
 * drop it after some events, or stall it for a while. Routes: `responses.create`, `responses.stream`,
 * `sessions.events.stream`.
 */
export interface StreamFault extends FaultRule {
  /** Destroy the connection once this many events were written on it. */
  dropAfter?: number;
  /** Write nothing for this long (clock ms) once `stallAfter` events were written, then go on. */
  stallMs?: number;
  /**
   * Events written before the stall.
   *
   * @defaultValue `0`: stall at once
   */
  stallAfter?: number;
}

/**
 * The HTTP faults, set at start (`startSimulator({ faults })`) and at runtime (`sim.setFaults(partial)`,
 * which replaces the keys given and clears those given as `null`). A rule fault can be a list of rules.
 */
export interface HttpFaults {
  /** Injected 429s (on top of `rpm`). */
  rateLimit?: RateLimitFault | RateLimitFault[] | null;
  /**
   * A requests-per-minute limit across all clients, in place of the default (`startSimulator({ rateLimits })`,
   * else {@link DEFAULT_RATE_LIMITS}); `null` restores the default.
   */
  rpm?: number | null;
  /** Injected 500/502/503/504. */
  serverError?: ServerErrorFault | ServerErrorFault[] | null;
  /** Destroy the socket without answering (the SDK throws `APIConnectionError`). */
  drop?: DropFault | DropFault[] | null;
  latency?: LatencyFault | null;
  pollAfterMs?: number | PollAfterFault | null;
  /** Dropped or stalled SSE streams. */
  stream?: StreamFault | StreamFault[] | null;
}

/** `'*.retrieve'` → /^.*\.retrieve$/ */
export function routeMatcher(patterns: readonly string[] | undefined): (name: string) => boolean {
  if (!patterns) return () => true;
  const regexes = patterns.map(
    (p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`),
  );
  return (name) => regexes.some((r) => r.test(name));
}

/** A rule with its remaining `next` count, so counting down never mutates the caller's object. */
export class ArmedRule<R extends { probability?: number; next?: number }> {
  private remaining: number;

  constructor(
    readonly rule: R,
    readonly matches: (key: string) => boolean,
  ) {
    this.remaining = rule.next ?? 0;
  }

  /** Whether the rule fires for `key`, consuming one `next` when it does. */
  fires(key: string, random: Random): boolean {
    if (!this.matches(key)) return false;
    if (this.remaining > 0) {
      this.remaining--;
      return true;
    }
    const p = this.rule.probability ?? 0;
    // Draw only for live rules, so a rule at probability 0 leaves the random stream untouched.
    return p > 0 && random.next() < p;
  }
}

/** Checks a rule's numbers; throws a RangeError naming `path`. */
export function checkRule(rule: { probability?: number; next?: number }, path: string): void {
  if (typeof rule !== 'object' || rule === null) throw new TypeError(`${path}: expected an object`);
  const { probability, next } = rule;
  if (probability !== undefined && !(probability >= 0 && probability <= 1)) {
    throw new RangeError(`${path}.probability: expected 0..1, got ${probability}`);
  }
  if (next !== undefined && !(Number.isInteger(next) && next >= 0)) {
    throw new RangeError(`${path}.next: expected an integer >= 0, got ${next}`);
  }
}

/** Checks a duration option by the same rules as a scenario phase; throws a RangeError. */
export function checkDuration(d: unknown, path: string): void {
  try {
    validateDuration(d, path);
  } catch (error) {
    throw error instanceof ScenarioError ? new RangeError(error.message) : error;
  }
}

const asList = <R>(value: R | R[] | null | undefined): R[] =>
  value == null ? [] : Array.isArray(value) ? value : [value];

/** The live HTTP fault configuration and its dice. */
export class HttpFaultState {
  private config: HttpFaults = {};
  private rateLimits: ArmedRule<RateLimitFault>[] = [];
  private serverErrors: ArmedRule<ServerErrorFault>[] = [];
  private drops: ArmedRule<DropFault>[] = [];
  private streams: ArmedRule<StreamFault>[] = [];
  private limiter: RateLimiter | undefined;
  private latencyRoutes: (route: string) => boolean = () => false;
  private pollAfterRoutes: (route: string) => boolean = () => false;

  constructor(
    private readonly random: Random,
    /** The limits in force when `rpm` is not set. */
    private readonly limits: RateLimits = DEFAULT_RATE_LIMITS,
  ) {}

  /** Replaces the keys present in `partial` (`null` or `undefined` clears one); `next` counts restart. */
  set(partial: HttpFaults): void {
    const next = { ...this.config };
    for (const [key, value] of Object.entries(partial) as [keyof HttpFaults, unknown][]) {
      if (value == null) delete next[key];
      else (next as Record<string, unknown>)[key] = value;
    }
    validate(next);
    const arm = <R extends FaultRule>(rules: R[]) =>
      rules.map((r) => new ArmedRule(r, routeMatcher(r.routes)));
    if ('rateLimit' in partial) this.rateLimits = arm(asList(next.rateLimit));
    if ('serverError' in partial) this.serverErrors = arm(asList(next.serverError));
    if ('drop' in partial) this.drops = arm(asList(next.drop));
    if ('stream' in partial) this.streams = arm(asList(next.stream));
    // A new limit starts with full buckets.
    if ('rpm' in partial) this.limiter = undefined;
    this.latencyRoutes = routeMatcher(next.latency?.routes);
    const poll = next.pollAfterMs;
    this.pollAfterRoutes = routeMatcher(
      typeof poll === 'object' && poll?.routes ? poll.routes : ['*.retrieve'],
    );
    this.config = next;
  }

  /** The configuration in force. */
  get current(): Readonly<HttpFaults> {
    return this.config;
  }

  /** The shared rate limiter: `rpm` when set, else the simulator's limits. */
  limiterAt(now: number): RateLimiter {
    this.limiter ??= new RateLimiter({ ...this.limits, rpm: this.config.rpm ?? this.limits.rpm }, now);
    return this.limiter;
  }

  /** Takes one request and `tokens` tokens from the limiter at `now`. */
  take(tokens: number, now: number): LimiterTake {
    return this.limiterAt(now).take(tokens, now);
  }

  /** Wall-clock ms to delay a request to `route` (0 for none). */
  latencyFor(route: string): number {
    const { latency } = this.config;
    return latency && this.latencyRoutes(route) ? sampleDuration(latency.ms, this.random) : 0;
  }

  // Each rule below is asked only when a request gets that far, so a request answered by an earlier fault
  // (a drop, a 401, the rpm limit) does not use up a later rule's `next` count.

  /** Whether to destroy the connection of a request to `route`. */
  dropFor(route: string): boolean {
    return this.dropRuleFor(route) !== undefined;
  }

  /** The drop rule that fires for a request to `route`, if one does (it may say to drop after handling). */
  dropRuleFor(route: string): DropFault | undefined {
    return this.drops.find((r) => r.fires(route, this.random))?.rule;
  }

  /** The injected 429 for a request to `route`, if one fires. */
  rateLimitFor(route: string): RateLimitFault | undefined {
    return this.rateLimits.find((r) => r.fires(route, this.random))?.rule;
  }

  /** The injected 5xx for a request to `route`, if one fires. */
  serverErrorFor(route: string): ServerErrorFault | undefined {
    return this.serverErrors.find((r) => r.fires(route, this.random))?.rule;
  }

  /** The fault for a new SSE connection on `route`, if one fires. */
  streamFaultFor(route: string): StreamFault | undefined {
    return this.streams.find((r) => r.fires(route, this.random))?.rule;
  }

  /** The `openai-poll-after-ms` value for an answer on `route`, if any. */
  pollAfterFor(route: string): number | undefined {
    const { pollAfterMs } = this.config;
    if (pollAfterMs == null) return undefined;
    return this.pollAfterRoutes(route)
      ? typeof pollAfterMs === 'number'
        ? pollAfterMs
        : pollAfterMs.ms
      : undefined;
  }
}

function validate(f: HttpFaults): void {
  asList(f.rateLimit).forEach((r, i) => {
    checkRule(r, `faults.rateLimit[${i}]`);
    if (r.retryAfterMs !== undefined && !(r.retryAfterMs >= 0)) {
      throw new RangeError(`faults.rateLimit[${i}].retryAfterMs: expected ms >= 0, got ${r.retryAfterMs}`);
    }
    if (r.code !== undefined && r.code !== 'rate_limit_exceeded' && r.code !== 'insufficient_quota') {
      throw new RangeError(
        `faults.rateLimit[${i}].code: expected 'rate_limit_exceeded' or 'insufficient_quota', got ${JSON.stringify(r.code)}`,
      );
    }
  });
  asList(f.serverError).forEach((r, i) => {
    checkRule(r, `faults.serverError[${i}]`);
    if (r.status !== undefined && ![500, 502, 503, 504].includes(r.status)) {
      throw new RangeError(`faults.serverError[${i}].status: expected 500, 502, 503 or 504, got ${r.status}`);
    }
  });
  asList(f.drop).forEach((r, i) => {
    checkRule(r, `faults.drop[${i}]`);
  });
  asList(f.stream).forEach((r, i) => {
    checkRule(r, `faults.stream[${i}]`);
    for (const key of ['dropAfter', 'stallAfter', 'stallMs'] as const) {
      const v = r[key];
      if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
        throw new RangeError(`faults.stream[${i}].${key}: expected an integer >= 0, got ${v}`);
      }
    }
  });
  if (f.rpm != null && !(f.rpm > 0)) throw new RangeError(`faults.rpm: expected > 0, got ${f.rpm}`);
  if (f.latency) checkDuration(f.latency.ms, 'faults.latency.ms');
  const poll = typeof f.pollAfterMs === 'number' ? f.pollAfterMs : f.pollAfterMs?.ms;
  if (poll !== undefined && !(poll >= 0))
    throw new RangeError(`faults.pollAfterMs: expected ms >= 0, got ${poll}`);
}
