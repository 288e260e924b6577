import { PruneQueue } from '../internal/prune-queue.js';
import type { WebhookEvent } from './event.js';

/** The answer of a store with no event kept for a job: one settled promise, shared. */
export const NOTHING_KEPT: Promise<undefined> = Promise.resolve(undefined);

/** What the hub knows of a verified delivery when it claims its `webhook-id`. */
export interface ClaimContext {
  /** The delivery's `webhook-timestamp`, epoch ms (verified: within the tolerance of now). */
  signedAt: number;
  /**
   * Until when a replay of these exact bytes would still pass verification (`signedAt` + the tolerance), epoch ms.
   * The id must be remembered at least until then.
   */
  replayableUntil: number;
  /** When the hub received it, on the hub's clock, epoch ms. */
  receivedAt: number;
}

/**
 * The answer to a claim: `true` for the first delivery of the id, `false` for a repeat, `'unprovable'` when the
 * store had to forget ids still inside the replay window to stay within its memory bound and this delivery was
 * signed no later than the newest of them: it may be a replay, so the hub refuses it rather than deliver it twice
 * (a genuine retry is signed anew, so it passes later).
 */
export type ClaimResult = boolean | 'unprovable';

/**
 * Remembers which deliveries were already accepted, so an event is delivered once per `webhook-id`, and (when it
 * implements the optional pair `rememberEvent` / `recallEvent`) the latest event of each job, so a watch started
 * after its job's event went by finds it. Implement it over any shared store (see {@link redisIdempotencyStore})
 * when several instances receive webhooks.
 */
export interface IdempotencyStore {
  /**
   * Records `key` as seen. Resolves `true` when this call is the first within the store's time to live, `false`
   * for a repeat. Must be atomic: of two concurrent claims of one key, exactly one wins. With `context`, the key
   * is kept at least until `context.replayableUntil`, or the claim resolves `'unprovable'` (see {@link ClaimResult}).
   */
  claim(key: string, context?: ClaimContext): Promise<ClaimResult>;
  /**
   * Keeps `event` as the one to recall for `jobId`, unless the one kept has a higher `precedence` (the hub ranks a
   * terminal event above any other, then by `created_at`). Ties keep the first.
   */
  rememberEvent?(jobId: string, event: WebhookEvent, precedence: number): Promise<void>;
  /** The event kept for `jobId` (by any instance sharing the store), or undefined. */
  recallEvent?(jobId: string): Promise<WebhookEvent | undefined>;
}

/** Options of {@link memoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreOptions {
  /**
   * How long a key is remembered, in ms: OpenAI retries an unacknowledged delivery for up to 72 h.
   *
   * @defaultValue 72 h
   */
  ttlMs?: number;
  /**
   * At most this many keys are kept; the oldest are forgotten first (each costs up to
   * {@link MEMORY_STORE_BYTES_PER_ID} bytes). When a key still inside its replay window must go, deliveries signed
   * no later than it are refused as `'unprovable'` from then on.
   *
   * @defaultValue `100_000`
   */
  maxEntries?: number;
  /**
   * At most this many jobs' latest events are kept; the least recently updated go first.
   *
   * @defaultValue `10_000`
   */
  maxJobs?: number;
  /**
   * How long a job's latest event is kept, in ms.
   *
   * @defaultValue 72 h
   */
  eventTtlMs?: number;
  /** Clock, epoch ms (injected in tests). */
  now?: () => number;
}

/** Default time to live of a webhook id, in ms: OpenAI's retry window. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 72 * 60 * 60 * 1000;

/**
 * Heap per remembered id in the memory store, measured by `npm run bench:reliability` (rounded up): 252 B, and 271 B
 * since the store prunes through a queue of its entries (two slots per id, for claims that cost the same when full).
 */
export const MEMORY_STORE_BYTES_PER_ID = 280;

interface Entry {
  expiresAt: number;
  signedAt: number;
  replayableUntil: number;
}

/** A memory store's inspection handles (tests and benchmarks). */
export interface MemoryIdempotencyStore extends Required<IdempotencyStore> {
  /** Ids remembered now. */
  readonly size: number;
  /** Jobs whose latest event is kept now. */
  readonly jobs: number;
  /**
   * Epoch ms (a `webhook-timestamp`) at or before which deliveries are refused as `'unprovable'`, because an id
   * signed then was forgotten inside its replay window; `-Infinity` while nothing was.
   */
  readonly forgottenUpTo: number;
}

/**
 * An in-process {@link IdempotencyStore}, the hub's default: ids by time (each kept for `ttlMs`, and at least
 * through its replay window) under a bound on their number, and the latest event of each recent job.
 */
export function memoryIdempotencyStore(options: MemoryIdempotencyStoreOptions = {}): MemoryIdempotencyStore {
  const ttlMs = options.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
  const maxEntries = options.maxEntries ?? 100_000;
  const maxJobs = options.maxJobs ?? 10_000;
  const eventTtlMs = options.eventTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
  const now = options.now ?? Date.now;
  // Insertion order is nearly expiry order (one ttl for all; a replay window longer than ttl only extends a key),
  // so pruning from the oldest finds the expired keys; a key out of order is only kept a little longer. Both maps
  // are pruned through a queue of their entries, not by iterating them (src/internal/prune-queue.ts says why).
  const entries = new Map<string, Entry>();
  const entryQueue = new PruneQueue(entries);
  const events = new Map<string, { event: WebhookEvent; precedence: number; expiresAt: number }>();
  const eventQueue = new PruneQueue(events);
  let forgottenUpTo = Number.NEGATIVE_INFINITY;

  function prune(at: number): void {
    entryQueue.prune((entry) => {
      const expired = entry.expiresAt <= at;
      if (!expired && entries.size <= maxEntries) return false;
      // Forgotten early while a replay would still verify: from now on, refuse what we can no longer tell apart.
      if (!expired && entry.replayableUntil > at) forgottenUpTo = Math.max(forgottenUpTo, entry.signedAt);
      return true;
    });
  }

  function pruneEvents(at: number): void {
    eventQueue.prune((kept) => kept.expiresAt <= at || events.size > maxJobs);
  }

  return {
    get size() {
      prune(now());
      return entries.size;
    },
    get jobs() {
      pruneEvents(now());
      return events.size;
    },
    get forgottenUpTo() {
      return forgottenUpTo;
    },
    async claim(key, context) {
      const at = now();
      prune(at);
      if (entries.has(key)) return false;
      if (context && context.signedAt <= forgottenUpTo) return 'unprovable';
      entryQueue.set(key, {
        expiresAt: Math.max(at + ttlMs, context?.replayableUntil ?? 0),
        signedAt: context?.signedAt ?? at,
        replayableUntil: context?.replayableUntil ?? 0,
      });
      prune(at);
      return true;
    },
    async rememberEvent(jobId, event, precedence) {
      const at = now();
      pruneEvents(at);
      const kept = events.get(jobId);
      if (kept && kept.expiresAt > at && kept.precedence >= precedence) return;
      // Queued anew: the least recently updated job is the first to go.
      eventQueue.set(jobId, { event, precedence, expiresAt: at + eventTtlMs });
      pruneEvents(at);
    },
    // Not async: every webhook-fed watch asks once at start, and most jobs have nothing kept.
    recallEvent(jobId) {
      const kept = events.get(jobId);
      return kept && kept.expiresAt > now() ? Promise.resolve(kept.event) : NOTHING_KEPT;
    },
  };
}
