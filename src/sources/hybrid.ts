import { defer, map, merge, share } from 'rxjs';
import type { Source } from '../types.js';
import type { WebhookRoutes } from '../webhooks/hub.js';
import { poll } from './poll.js';
import { resolveOptions, type WebhookSourceOptions, webhookStatusEvents, withStartRead } from './webhook.js';

/**
 * The fallback poll of {@link hybrid} by default: 30 s, ×2, capped at 5 min, equal jitter (each delay is at least
 * half its base, so a webhook is never followed by a quick poll). A lost webhook is noticed within 5 minutes.
 */
export const HYBRID_FALLBACK_POLL = {
  initialDelayMs: 30_000,
  factor: 2,
  maxDelayMs: 5 * 60_000,
  jitter: 'equal',
} as const;

/** Options of {@link hybrid}: those of the webhook part (`createdJustNow` skips its read at start). */
export type HybridOptions = WebhookSourceOptions;

/**
 * Webhooks first, polling as a safety net: merges `webhookSource(hub)` with a slow `fallback` source, and restarts
 * the fallback's schedule at each webhook event about the job (through its `nudge$`), so the poll fires only when
 * webhooks go quiet. Both may report the same change; the machine keeps one snapshot per change.
 * @example watchRun({ client, job: { kind: 'response', id }, source: hybrid(hub) })
 */
export function hybrid(
  hub: WebhookRoutes,
  fallback: Source = poll(HYBRID_FALLBACK_POLL),
  options: HybridOptions = {},
): Source {
  const resolved = resolveOptions(options);
  return {
    name: 'hybrid',
    watch: (ctx) =>
      defer(() => {
        // One subscription to the hub: the webhook part subscribes first and gets the held (early) events; the
        // nudges only need the live ones.
        const jobId = ctx.adapter.jobId(ctx.job);
        const events$ = hub.jobEvents(jobId).pipe(share());
        // A failed read at start is not fatal here: the fallback poll will look.
        const webhook$ = webhookStatusEvents(withStartRead(events$, hub, jobId, resolved), ctx, resolved, {
          startReadFailure: 'ignore',
        });
        const nudge$ = merge(ctx.nudge$, events$.pipe(map((): void => undefined)));
        return merge(webhook$, fallback.watch({ ...ctx, nudge$ }));
      }),
  };
}
