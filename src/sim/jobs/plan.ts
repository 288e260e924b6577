/** A status and the clock time (epoch ms) the job reaches it. */
export interface Step<S extends string = string> {
  status: S;
  at: number;
}

/**
 * A job's lifecycle as a list of timed steps, past and planned. The status at time t is the last step at or
 * before t, so status is computed lazily from the clock, with no timer per job; an event (a cancel, tool
 * outputs) rewrites only the future. The steps already reached are the exact timeline reported by stats().
 */
export class Plan<S extends string = string> {
  private readonly steps: Step<S>[] = [];

  constructor(first: Step<S>, rest: Step<S>[] = []) {
    this.steps.push(first);
    this.append(rest);
  }

  /** Status at clock time `t`. */
  statusAt(t: number): S {
    return this.lastAt(t).status;
  }

  /** The latest step reached by `t` (the first step when `t` is before it). */
  lastAt(t: number): Step<S> {
    for (let i = this.steps.length - 1; i > 0; i--) {
      const step = this.steps[i]!;
      if (step.at <= t) return step;
    }
    return this.steps[0]!;
  }

  /** Steps reached by `t`, in order. */
  reachedBy(t: number): Step<S>[] {
    return this.steps.filter((s) => s.at <= t);
  }

  /** When the job first reached `status`, if it has by `t`. */
  reachedAt(status: S, t: number): number | undefined {
    return this.steps.find((s) => s.status === status && s.at <= t)?.at;
  }

  /** Step `index` (0 = creation), reached or not. */
  step(index: number): Step<S> | undefined {
    return this.steps[index];
  }

  /** Number of steps, reached or planned. */
  get length(): number {
    return this.steps.length;
  }

  /** The last planned step: where the job is heading unless something happens. */
  get final(): Step<S> {
    return this.steps[this.steps.length - 1]!;
  }

  /** Replaces everything planned after `t` with `next` (steps at `t` or later, in order). */
  replan(t: number, next: Step<S>[]): void {
    let keep = this.steps.length;
    while (keep > 1 && this.steps[keep - 1]!.at > t) keep--;
    this.steps.length = keep;
    this.append(next.map((s) => ({ status: s.status, at: Math.max(s.at, t) })));
  }

  private append(next: Step<S>[]): void {
    for (const step of next) {
      const prev = this.final;
      // Clock time never runs backwards through a lifecycle.
      this.steps.push({ status: step.status, at: Math.max(step.at, prev.at) });
    }
  }
}

/**
 * Builds consecutive steps: each phase starts when the previous one ends. `enter(status, ms)` means "reach
 * `status`, stay `ms`".
 */
export class StepBuilder<S extends string> {
  readonly steps: Step<S>[] = [];

  constructor(private t: number) {}

  /** Reaches `status` now and stays for `ms`. */
  enter(status: S, ms = 0): this {
    this.steps.push({ status, at: this.t });
    this.t += ms;
    return this;
  }

  /** The time the last phase ends. */
  get end(): number {
    return this.t;
  }

  /**
   * Caps the plan at an expiry: steps from `expiryMs` on are replaced by `expired`, unless the plan already
   * ended in a terminal status before it. A plan that ends on a non-terminal status (waiting for tool outputs,
   * or scripted never to finish) thus waits there until it expires.
   */
  capAt(expiryMs: number, expired: S, isTerminal: (s: S) => boolean): Step<S>[] {
    const before = this.steps.filter((s) => s.at < expiryMs);
    const last = before[before.length - 1];
    if (last && isTerminal(last.status)) return before;
    return [...before, { status: expired, at: expiryMs }];
  }
}
