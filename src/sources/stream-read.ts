import { classifyRequestError } from '../errors/from-api-error.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import type { SourceContext, StatusEvent } from '../model/types.js';
import { type BackoffPolicy, nextDelay } from './backoff.js';

/**
 * One counted read beside a stream (the catch-up after a connection opens, or the check of a silent one): its
 * observation is a poll's, noted with why it was made. `undefined` when the watch stopped meanwhile or the failure
 * is transient (the stream's next connection reads again); `{ error }`, the typed error, when it is final.
 */
export async function readBesideStream(
  ctx: SourceContext,
  why: string,
): Promise<{ event: StatusEvent } | { error: Error } | undefined> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  ctx.signal.addEventListener('abort', stop, { once: true });
  ctx.meter.add();
  try {
    const { job } = await ctx.adapter.retrieve(ctx.client, ctx.job, {
      signal: controller.signal,
      onExtraRequest: () => ctx.meter.add(),
    });
    return { event: { ...toStatusEvent(ctx.adapter, job, ctx.scheduler.now(), 'poll'), note: why } };
  } catch (e) {
    if (ctx.signal.aborted) return undefined;
    const failure = classifyRequestError(e, ctx.job, ctx.adapter.describe(ctx.job));
    return failure.transient ? undefined : { error: failure.error };
  } finally {
    ctx.signal.removeEventListener('abort', stop);
  }
}

/** How long a stream waits before its next connection: at once after news, then the reconnect policy's backoff. */
export function reconnectDelay(ctx: SourceContext, policy: BackoffPolicy, failures: number): number {
  if (failures === 0) return 0;
  return nextDelay(policy, failures - 1, {
    random: ctx.random,
    now: ctx.scheduler.now(),
    deadline: ctx.deadline,
  });
}
