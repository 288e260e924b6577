import { ConfigurationError } from '../errors/configuration-error.js';
import { type DurationSample, type PlanOptions, type PollPlan, planPolls } from './poll-plan.js';

/** Options of {@link createDurationModel}. */
export interface DurationModelOptions {
  /**
   * Durations kept per key: the most recent ones, so the model follows drift.
   *
   * @defaultValue `500`
   */
  capacity?: number;
  /**
   * Durations a key needs before {@link DurationModel.plan} answers for it: from fewer, a p95 is mostly noise
   * (docs/benchmarks.md, "Why the defaults are what they are").
   *
   * @defaultValue `100`
   */
  minSamples?: number;
  /**
   * Caution of plans made from few durations (see `PlanOptions.caution`): less lets a learned plan skip a thin
   * stretch of the tail, more costs retrieves (docs/benchmarks.md, "Why the defaults are what they are").
   *
   * @defaultValue `1.5`
   */
  caution?: number;
  /** Durations to start from, by key (from {@link DurationModel.toJSON} of an earlier process). */
  initial?: Readonly<Record<string, readonly DurationSample[]>>;
}

/**
 * What a learner knows about how long finished jobs took, by key (a kind, a model, an assistant: see
 * `adaptivePoll`'s `key`), and the poll plans it derives from them.
 */
export interface DurationModel {
  /** Adds one finished job's duration, in ms since its creation. */
  record(durationMs: number, key: string): void;
  /**
   * Adds a job known to have ended between two ages: after the last poll that saw it running, by the one that saw
   * it end (see `PlanOptions.spread` for how plans read such an interval).
   */
  recordBetween(afterMs: number, byMs: number, key: string): void;
  /** Durations kept for a key (oldest first): exact ones, and intervals `[afterMs, byMs]`. */
  samples(key: string): readonly DurationSample[];
  /** How many durations a key holds. */
  count(key: string): number;
  /** The `q`-quantile (0..1) of a key's durations (intervals by their midpoints), or undefined without any. */
  quantile(q: number, key: string): number | undefined;
  /** Keys with at least one duration. */
  keys(): string[];
  /**
   * The poll plan for a key and target, from its learned durations; undefined below `minSamples`. Cached: it is
   * computed again once the key has learned 10% more durations (at least 4) since the last plan.
   */
  plan(key: string, options?: PlanOptions): PollPlan | undefined;
  /** The durations by key, to restore with `createDurationModel({ initial })`. */
  toJSON(): Record<string, DurationSample[]>;
}

/** Durations of one key: a ring buffer of the most recent, plus how many were ever recorded. */
interface KeyState {
  ring: DurationSample[];
  next: number;
  recorded: number;
  plans: Map<string, { plan: PollPlan; at: number }>;
}

/**
 * A learner of job durations: feed it finished jobs (`adaptivePoll` does), read quantiles and poll plans.
 * One model can serve many watches and sources; keep one per process (or restore it from `toJSON()`).
 * @example
 * const model = createDurationModel();
 * watchRun({ client, job, source: adaptivePoll(model, { targetDelay: 0.1 }) });
 */
export function createDurationModel(options: DurationModelOptions = {}): DurationModel {
  const { capacity = 500, minSamples = 100, caution = 1.5, initial = {} } = options;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new ConfigurationError(
      `createDurationModel(): capacity must be a whole number ≥ 1, got ${capacity}`,
    );
  }
  if (!Number.isInteger(minSamples) || minSamples < 1) {
    throw new ConfigurationError(
      `createDurationModel(): minSamples must be a whole number ≥ 1, got ${minSamples}`,
    );
  }
  if (!(Number.isFinite(caution) && caution >= 0)) {
    throw new ConfigurationError(`createDurationModel(): caution must be ≥ 0, got ${caution}`);
  }
  const states = new Map<string, KeyState>();
  const stateOf = (key: string): KeyState => {
    let state = states.get(key);
    if (!state) {
      state = { ring: [], next: 0, recorded: 0, plans: new Map() };
      states.set(key, state);
    }
    return state;
  };
  const ordered = (state: KeyState | undefined): DurationSample[] =>
    state ? [...state.ring.slice(state.next), ...state.ring.slice(0, state.next)] : [];
  const midpoint = (s: DurationSample) => (typeof s === 'number' ? s : (s[0] + s[1]) / 2);

  const add = (sample: DurationSample, key: string): void => {
    const state = stateOf(key);
    if (state.ring.length < capacity) state.ring.push(sample);
    else {
      state.ring[state.next] = sample;
      state.next = (state.next + 1) % capacity;
    }
    state.recorded++;
  };
  // A duration that is not a finite number ≥ 0 says nothing about the job: dropped rather than thrown, because it
  // comes from a watch that must not fail over a bookkeeping detail.
  const record = (durationMs: number, key: string): void => {
    if (Number.isFinite(durationMs) && durationMs >= 0) add(durationMs, key);
  };
  const recordBetween = (afterMs: number, byMs: number, key: string): void => {
    if (!(Number.isFinite(afterMs) && Number.isFinite(byMs) && byMs >= 0 && byMs >= afterMs)) return;
    const after = Math.max(0, afterMs);
    add(byMs - after < 1 ? byMs : [after, byMs], key);
  };

  for (const [key, durations] of Object.entries(initial)) {
    for (const d of durations) {
      if (typeof d === 'number') record(d, key);
      else if (Array.isArray(d)) recordBetween(d[0], d[1], key);
    }
  }

  return {
    record,
    recordBetween,
    samples: (key) => ordered(states.get(key)),
    count: (key) => states.get(key)?.ring.length ?? 0,
    quantile(q, key) {
      const sorted = (states.get(key)?.ring ?? []).map(midpoint).sort((a, b) => a - b);
      if (sorted.length === 0 || !(q >= 0 && q <= 1)) return undefined;
      return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    },
    keys: () => [...states.keys()].filter((k) => (states.get(k)?.ring.length ?? 0) > 0),
    plan(key, planOptions = {}) {
      const state = states.get(key);
      if (!state || state.ring.length < minSamples) return undefined;
      const id = JSON.stringify(planOptions);
      const cached = state.plans.get(id);
      const stale = Math.max(4, Math.ceil(0.1 * state.ring.length));
      if (cached && state.recorded - cached.at < stale) return cached.plan;
      const plan = planPolls(state.ring, { caution, ...planOptions });
      state.plans.set(id, { plan, at: state.recorded });
      return plan;
    },
    toJSON: () => Object.fromEntries([...states].map(([k, s]) => [k, ordered(s)])),
  };
}
