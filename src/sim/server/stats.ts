import type { WebhookStats } from '../delivery/webhooks.js';
import type { SimJobKind } from '../jobs/kinds.js';
import type { Step } from '../jobs/plan.js';
import type { JobRegistry } from '../jobs/registry.js';

/** Requests to one route, by HTTP status (`'dropped'` for connections destroyed without an answer). */
export interface RouteStats {
  total: number;
  byStatus: Record<string, number>;
}

/** One job as the simulator saw it: the exact lifecycle the script produced, and how often it was asked. */
export interface JobStats {
  id: string;
  kind: SimJobKind;
  /** Runs only. */
  threadId?: string;
  /** Status at the time of the snapshot. */
  status: string;
  /** Clock ms of creation. */
  createdAt: number;
  /** Clock ms the job reached its terminal status, or null while it has not. */
  endedAt: number | null;
  /**
   * Every status reached, with the clock ms it was reached: computed from the script and events (create,
   * cancel, tool outputs), not from when anyone looked. A status can repeat (runs: queued again after tool outputs).
   */
  timeline: Step[];
  /** Retrieve requests that named this job, every attempt counted (also those a fault answered). */
  retrieves: number;
  /** All requests for this job: its create and every request whose path names it. */
  requests: number;
  /** Agent sessions: the answers accepted (tool and approval results, as sent), in order. */
  answers?: readonly unknown[];
  /**
   * Agent sessions: the latest turn's status (`completed`, `cancelled`, `failed`, ...): an idle session does not
   * say how its turn ended, its turn does.
   */
  turnStatus?: string;
}

/** What `sim.stats()` returns. */
export interface SimStats {
  /** Clock ms of the snapshot. */
  now: number;
  requests: {
    total: number;
    /** By route name (`runs.retrieve`, ...; `unknown` for unmatched paths). */
    byRoute: Record<string, RouteStats>;
  };
  /** 429s served (injected and `rpm`). */
  rateLimited: number;
  /** 5xx served (injected, or an internal error). */
  serverErrors: number;
  /** Connections destroyed without an answer. */
  dropped: number;
  /** Server-sent event streams cut mid-stream by a `stream` fault (`dropAfter`). */
  streamsDropped: number;
  webhooks: WebhookStats;
  /** By job id. */
  jobs: Record<string, JobStats>;
}

/** Counts every request the server answers (or drops). */
export class RequestCounter {
  private total = 0;
  private readonly byRoute = new Map<string, RouteStats>();
  rateLimited = 0;
  serverErrors = 0;
  dropped = 0;
  streamsDropped = 0;

  /** Records one answer (`'dropped'` for a destroyed connection). */
  record(route: string, status: number | 'dropped'): void {
    this.total++;
    let stats = this.byRoute.get(route);
    if (!stats) {
      stats = { total: 0, byStatus: {} };
      this.byRoute.set(route, stats);
    }
    stats.total++;
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    if (status === 429) this.rateLimited++;
    else if (status === 'dropped') this.dropped++;
    else if (status >= 500) this.serverErrors++;
  }

  /** A copy of the request counts. */
  snapshot(): SimStats['requests'] {
    const byRoute: Record<string, RouteStats> = {};
    for (const [route, s] of this.byRoute) byRoute[route] = { total: s.total, byStatus: { ...s.byStatus } };
    return { total: this.total, byRoute };
  }
}

/** One job's stats at clock time `now`. */
export function jobStats(registry: JobRegistry, id: string, now: number): JobStats | undefined {
  const job = registry.get(id);
  const counters = registry.counters(id);
  if (!job || !counters) return undefined;
  const timeline = job.plan.reachedBy(now).map((s) => ({ status: s.status, at: s.at }));
  const last = timeline[timeline.length - 1]!;
  return {
    id: job.id,
    // Every job is made by a kind of the registry, under the name it is filed by there.
    kind: job.kind as SimJobKind,
    ...(job.threadId ? { threadId: job.threadId } : {}),
    status: last.status,
    createdAt: job.createdAt,
    endedAt: job.isTerminal(last.status) ? last.at : null,
    ...(job.answers ? { answers: [...job.answers] } : {}),
    ...(job.lastTurnStatus?.(now) !== undefined ? { turnStatus: job.lastTurnStatus(now) } : {}),
    timeline,
    retrieves: counters.retrieves,
    requests: counters.requests,
  };
}
