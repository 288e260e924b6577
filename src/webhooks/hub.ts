import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Observable, Subject } from 'rxjs';
import { ConfigurationError } from '../errors/configuration-error.js';
import type { WebhookVerificationError } from '../errors/webhook-verification-error.js';
import { allKindSpecs } from '../kinds/registry.js';
import { isJobTerminal } from '../model/states.js';
import { eventJobId, type WebhookEvent } from './event.js';
import { toWebHandler } from './handler.js';
import { type IdempotencyStore, memoryIdempotencyStore, NOTHING_KEPT } from './idempotency.js';
import { toNodeHandler } from './node-adapter.js';
import { createReceiver } from './receive.js';
import { createJobRouter } from './router.js';
import { createWebhookCounters, type WebhookHubStats } from './stats.js';
import { createWebhookVerifier, type WebhookClient, type WebhookVerifier } from './verify.js';

// Above any `created_at` (unix seconds) for millennia.
const TERMINAL_RANK = 1e11;

/** Options of {@link createWebhookHub}. Give `secret` or `secrets`. */
export interface WebhookHubOptions {
  /** The endpoint's signing secret (`whsec_…`). */
  secret?: string;
  /** Several accepted secrets, tried in order: the new and the old one while rotating. */
  secrets?: readonly string[];
  /**
   * Maximum age (and clock skew) of a delivery's timestamp, in seconds.
   *
   * @defaultValue `300`
   */
  tolerance?: number;
  /**
   * Larger bodies are refused with 413 without being read.
   *
   * @defaultValue 1 MiB
   */
  maxBodyBytes?: number;
  /**
   * Remembers accepted `webhook-id`s (by time: at least through the replay window) and each job's latest event.
   * Use Redis with several instances.
   *
   * @defaultValue in memory: {@link memoryIdempotencyStore} (72 h, at most 100 000 ids and 10 000 jobs)
   */
  store?: IdempotencyStore;
  /**
   * How long an event waits for a watch that has not subscribed yet, in ms.
   *
   * @defaultValue 5 minutes
   */
  bufferMs?: number;
  /**
   * At most this many events wait; the oldest go first.
   *
   * @defaultValue `1000`
   */
  bufferMax?: number;
  /**
   * The OpenAI client whose `webhooks.unwrap` verifies.
   *
   * @defaultValue an internal client that makes no requests
   */
  client?: WebhookClient;
  /** Called for each delivery refused by verification (for logs; the error never contains the secret). */
  onRejected?: (error: WebhookVerificationError) => void;
  /** Clock, epoch ms (injected in tests). */
  now?: () => number;
}

/** The part of a hub that sources use: one job's events. */
export interface WebhookRoutes {
  /**
   * The job's recent events (held up to `bufferMs`), then each new one, for the job with this id (`data.id`, or
   * where its kind says).
   */
  jobEvents(jobId: string): Observable<WebhookEvent>;
  /**
   * The latest event about the job that any instance sharing the store accepted (a terminal one outranks the
   * others), or undefined. Never rejects: a store error reads as "none".
   */
  lastEvent?(jobId: string): Promise<WebhookEvent | undefined>;
}

/** A webhook endpoint and the router that hands its verified events to the watches of their jobs. */
export interface WebhookHub extends WebhookRoutes {
  /** Web standard endpoint: Hono, Next.js route handlers, Bun, Deno, Workers. */
  readonly handler: (request: Request) => Promise<Response>;
  /** `node:http` and Express endpoint. With Express, mount it before any body parser. */
  readonly node: (req: IncomingMessage, res: ServerResponse) => void;
  /** Every verified, first-seen event (also those no job kind recognises). Hot: no replay. */
  readonly events$: Observable<WebhookEvent>;
  /** Verifies one delivery without the HTTP layer; rejects with a `WebhookVerificationError`. */
  readonly verify: WebhookVerifier;
  /** Counters since creation. */
  stats(): WebhookHubStats;
}

/**
 * Creates a webhook endpoint for OpenAI's signed deliveries and the hub that routes them to `webhookSource` /
 * `hybrid` watches. It answers 2xx before any subscriber runs, and delivers each `webhook-id` once.
 * @example
 * const hub = createWebhookHub({ secret: process.env.OPENAI_WEBHOOK_SECRET! });
 * http.createServer(hub.node).listen(8080);
 * watchRun({ client, job: { kind: 'response', id }, source: hybrid(hub) });
 */
export function createWebhookHub(options: WebhookHubOptions): WebhookHub {
  const secrets = options.secrets ?? (options.secret === undefined ? [] : [options.secret]);
  if (options.secret !== undefined && options.secrets !== undefined) {
    throw new ConfigurationError('createWebhookHub takes secret or secrets, not both');
  }
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  if (!(maxBodyBytes > 0)) throw new ConfigurationError('maxBodyBytes must be a positive number');
  const now = options.now ?? Date.now;
  const verify = createWebhookVerifier({
    secrets,
    ...(options.tolerance === undefined ? {} : { tolerance: options.tolerance }),
    ...(options.client === undefined ? {} : { client: options.client }),
  });
  const counters = createWebhookCounters();
  /** A store error reads as "nothing kept". */
  const storeFailed = (): Promise<undefined> => {
    counters.storeErrors++;
    return NOTHING_KEPT;
  };
  const router = createJobRouter({
    bufferMs: options.bufferMs ?? 5 * 60_000,
    bufferMax: options.bufferMax ?? 1000,
    now,
  });
  const events = new Subject<WebhookEvent>();
  const store = options.store ?? memoryIdempotencyStore({ now });
  const receive = createReceiver({
    verify,
    store,
    maxBodyBytes,
    counters,
    toleranceMs: (options.tolerance ?? 300) * 1000,
    now,
    rank: rankEvent,
    onRejected: options.onRejected,
  });

  // The first kind that reads the event's type owns it: its status, and the job it names.
  function readEvent(event: WebhookEvent): { jobId: string | undefined; terminal: boolean } | undefined {
    for (const adapter of allKindSpecs()) {
      const status = adapter.webhookStatus(event.type);
      if (status === undefined) continue;
      return { jobId: eventJobId(event, adapter), terminal: isJobTerminal(adapter.mapStatus(status)) };
    }
    return undefined;
  }

  function rankEvent(event: WebhookEvent): { jobId: string; precedence: number } | undefined {
    const read = readEvent(event);
    if (read?.jobId === undefined) return undefined;
    // A terminal state is never left, so a terminal event outranks any other; then the later one wins.
    return { jobId: read.jobId, precedence: (read.terminal ? TERMINAL_RANK : 0) + event.created_at };
  }

  // Each subscriber is isolated by RxJS: an observer that throws is reported through `config.onUnhandledError`
  // and the others still receive the event. Routing comes first, so a watch never depends on `events$` observers.
  function deliver(event: WebhookEvent): void {
    const read = readEvent(event);
    if (!read) counters.ignored++;
    else if (read.jobId !== undefined) router.route(read.jobId, event);
    events.next(event);
  }

  return {
    handler: toWebHandler(receive, deliver),
    node: toNodeHandler(receive, deliver),
    events$: events.asObservable(),
    jobEvents: (jobId) => router.events(jobId),
    lastEvent: (jobId) => {
      // Not an async function: it runs at the start of every webhook-fed watch, and a store with nothing kept
      // answers with one shared promise, which is passed on as it is.
      let recalled: Promise<WebhookEvent | undefined> | undefined;
      try {
        recalled = store.recallEvent?.(jobId);
      } catch {
        return storeFailed();
      }
      if (recalled === undefined || recalled === NOTHING_KEPT) return NOTHING_KEPT;
      return Promise.resolve(recalled).then(undefined, storeFailed);
    },
    verify,
    stats: () => ({
      ...counters,
      refused: { ...counters.refused },
      buffered: router.buffered,
      watching: router.watching,
    }),
  };
}
