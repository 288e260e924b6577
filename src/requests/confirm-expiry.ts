import type { StatusEvent } from '../model/types.js';
import type { RequestDeps } from './request-deps.js';
import { retryRead } from './retry-read.js';

/**
 * How long after `expires_at` (or after the check starts, when later) the server may stay unreachable before a
 * watch declares the job `expired` without the server saying so: long enough for an outage of a few minutes, and
 * the snapshot then says the expiry was not confirmed.
 */
export const EXPIRY_GRACE_MS = 2 * 60_000;

/** Options of {@link confirmExpiry}. */
export interface ConfirmExpiryOptions {
  /** The job's `expires_at`, epoch ms. */
  expiresAt: number;
  /**
   * How long after `expires_at` (or after now, when later) the server may stay unreachable before the read gives
   * up and the job is `expired` unconfirmed.
   *
   * @defaultValue {@link EXPIRY_GRACE_MS}
   */
  graceMs?: number;
}

/**
 * Shared request rule: the read that settles a job whose `expires_at` has passed. Retried with backoff on 429, 5xx
 * and network errors (hints honoured) until `graceMs` after `expires_at` (or after now, when later); it resolves
 * with whatever the server says, terminal or not; the caller declares `expired` only when the server says so.
 * Rejects with `RetriesExhaustedError` when the server stayed unreachable the whole time: then, and only then, the
 * caller may declare `expired` on its own, saying it was not confirmed. Other rejections are the typed errors of
 * {@link retryRead}.
 * @example
 * const seen = await confirmExpiry(deps, { expiresAt: run.expires_at * 1000 });
 */
export function confirmExpiry(deps: RequestDeps, options: ConfirmExpiryOptions): Promise<StatusEvent> {
  const graceMs = options.graceMs ?? EXPIRY_GRACE_MS;
  const start = Math.max(options.expiresAt, deps.scheduler.now());
  return retryRead(deps, {
    what: `confirming the expiry of ${deps.adapter.describe(deps.job)}`,
    maxRetries: Number.POSITIVE_INFINITY,
    until: start + graceMs,
  });
}
