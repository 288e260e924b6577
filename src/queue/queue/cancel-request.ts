import { RUNSTATE_KEY_PREFIX } from '../job-id.js';
/** The Redis key (under the queue's own prefix) where `cancel()` leaves a stop request for a watch's next step. */
export function cancelKeyType(watchId: string): string {
  return `${RUNSTATE_KEY_PREFIX}cancel:${watchId}`;
}

/** What a stop request says: stop watching, and with `cancelJob` cancel the job too. */
export const encodeCancel = (cancelJob: boolean): string => (cancelJob ? 'cancel' : 'stop');

/** Reads a stop request back; anything else is no request. */
export function decodeCancel(value: string | null): { cancel: boolean } | undefined {
  if (value === 'cancel') return { cancel: true };
  if (value === 'stop') return { cancel: false };
  return undefined;
}

/** How long a stop request waits for its watch's next step (a watch sleeps at most minutes between steps). */
export const CANCEL_TTL_MS = 24 * 3600_000;
