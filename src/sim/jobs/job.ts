import type { Plan, Step } from './plan.js';

/** A webhook event a step produces: its `type` and `data` (OpenAI's payload carries `data: { id }`). */
export interface JobEvent {
  type: string;
  /** `{ id }`, and what the type adds (a run's `thread_id`, a session's `required_action: { type }`). */
  data: { id: string } & Record<string, unknown>;
  /**
   * An event OpenAI never sends (`thread.run.*`): delivered only when the simulator is asked for them
   * (`runWebhooks`), since a client that knows OpenAI's event types misreads it (the Python SDK parses one as the
   * first type of its union, a batch's).
   */
  simulatorOnly?: true;
}

/** What the registry, stats and webhooks need from any job, whatever its kind. */
export interface SimJob {
  readonly id: string;
  /**
   * Its kind's name, one of `SimJobKind` (`./kinds.ts`); typed `string` here because that registry imports every
   * kind's folder, which imports this file.
   */
  readonly kind: string;
  /** Creation time, clock ms. */
  readonly createdAt: number;
  /** Steps reached and planned. */
  readonly plan: Plan;
  /** Runs only: the thread the run belongs to. */
  readonly threadId?: string;
  /** Agent sessions: the answers accepted (tool results, approval results), in order; in `sim.job(id)`. */
  readonly answers?: readonly unknown[];
  /** Agent sessions: the status of the latest turn at `t` (how an idle session's turn ended), if any turn. */
  lastTurnStatus?(t: number): string | undefined;
  /** Whether `status` ends the job. */
  isTerminal(status: string): boolean;
  /** The webhook event reaching `step` sends, or null when OpenAI sends none for it. */
  eventFor(step: Step): JobEvent | null;
}

/** Unix seconds from clock ms, as OpenAI's timestamps are. */
export const toUnix = (ms: number): number => Math.floor(ms / 1000);

/** Unix seconds of a step if it was reached by `t`, else null (`completed_at`, `failed_at`, ...). */
export function unixIfReached(plan: Plan, status: string, t: number): number | null {
  const at = plan.reachedAt(status, t);
  return at === undefined ? null : toUnix(at);
}
