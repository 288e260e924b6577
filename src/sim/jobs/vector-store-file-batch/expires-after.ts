import type { VectorStore } from 'openai/resources/vector-stores/vector-stores';
import { badRequest } from '../../server/errors.js';

const DAY_S = 86_400;

/**
 * A vector store's `expires_after` as the create sent it (`{ anchor: 'last_active_at', days }`, 1–365 days, as the
 * API documents), or null when it sent none: the store then answers `expires_after: null`, as the API sends null for
 * the optional values it has no value for.
 */
export function readExpiresAfter(body: Record<string, unknown>): VectorStore.ExpiresAfter | null {
  const value = body.expires_after;
  if (value === undefined || value === null) return null;
  const { anchor, days } = value as { anchor?: unknown; days?: unknown };
  if (anchor !== 'last_active_at') {
    throw badRequest("Invalid 'expires_after.anchor': expected 'last_active_at'.", 'expires_after.anchor');
  }
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 365) {
    throw badRequest(
      "Invalid 'expires_after.days': expected an integer from 1 to 365.",
      'expires_after.days',
    );
  }
  return { anchor, days };
}

/** When a store with this policy expires: `days` after it was last active (Unix seconds), or null without one. */
export function expiresAt(
  expiresAfter: VectorStore.ExpiresAfter | null,
  lastActiveAt: number | null,
): number | null {
  return expiresAfter && lastActiveAt !== null ? lastActiveAt + expiresAfter.days * DAY_S : null;
}
