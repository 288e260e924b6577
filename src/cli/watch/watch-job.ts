import { setMaxListeners } from 'node:events';
import OpenAI from 'openai';
import { lastValueFrom, tap } from 'rxjs';
import { classifyRequestError, isRunstateError } from '../../errors/index.js';
import { specFor } from '../../kinds/registry.js';
import type { RunSnapshot, RunState, Source } from '../../model/types.js';
import { hybrid } from '../../sources/hybrid.js';
import { poll } from '../../sources/poll.js';
import { stream } from '../../sources/stream.js';
import { webhookSource } from '../../sources/webhook.js';
import { watchRun } from '../../watch/watch-run.js';
import { createWebhookHub } from '../../webhooks/index.js';
import { CliError, type CliIo, UsageError } from '../command.js';
import { createStyle, formatDuration } from '../format.js';
import { type Listening, serve } from '../http-server.js';
import { INTERRUPTED_EXIT_CODE, interruption } from '../signals.js';
import { createPrinter } from './watch-printer.js';
import type { WatchRequest } from './watch-request.js';

/** How long the first retrieve may take before the server counts as unreachable. */
const FIRST_ANSWER_TIMEOUT_MS = 30_000;

/**
 * Why a connection failed, from the error's cause chain: a system code (`ECONNREFUSED`, `ENOTFOUND`) or the
 * innermost message (fetch says "bad port" for ports it blocks, such as 9 or 6000).
 */
function networkReason(error: unknown): string {
  let message = 'connection failed';
  for (let e = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E')) return code;
    if (e instanceof Error && e.message) message = e.message;
  }
  return message === 'bad port' ? 'fetch refuses this port' : message;
}

/** Exit code of a final state: 0 only for completed. */
const exitCodeOf = (state: RunState) => (state === 'completed' ? 0 : 1);

/** Watches the job of a checked `runstate watch` command line, printing each transition; resolves to the exit code. */
export async function watchJob(request: WatchRequest, io: CliIo): Promise<number> {
  const { job, apiKey, baseURL, maxWaitMs } = request;
  const client = new OpenAI({ apiKey, ...(baseURL ? { baseURL } : {}), maxRetries: 0 });
  // The spec this job is watched with (a fine-tune's reads its events too): the first read sees what the watch does.
  const adapter = specFor(job);
  const what = adapter.describe(job);
  const style = createStyle(io.stdout, io.env);
  const print = createPrinter(io, style, request.json, maxWaitMs, request.source === 'stream');
  const stop = interruption();
  setMaxListeners(20, stop.signal);
  let endpoint: Listening | undefined;
  try {
    let source: Source = request.source === 'stream' ? stream() : poll();
    let hub: ReturnType<typeof createWebhookHub> | undefined;
    if (request.webhooks) {
      const { secret, port, host } = request.webhooks;
      try {
        hub = createWebhookHub({ secret });
      } catch (error) {
        throw new UsageError(
          `the webhook secret (--secret or OPENAI_WEBHOOK_SECRET): ${(error as Error).message}`,
        );
      }
      endpoint = await serve(hub.node, { port, host });
      io.stderr.write(
        `runstate watch: receiving webhooks on ${endpoint.url} (point your webhook endpoint there)\n`,
      );
    }
    // One retrieve first: a wrong id, a refused key or an unreachable server is said at once, in one line,
    // instead of after the poll's retries.
    let first: unknown;
    let firstAt = 0;
    // The first retrieve counts among the calls shown, with any request it sent besides (a fine-tune's events).
    let calls = 1;
    try {
      const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(FIRST_ANSWER_TIMEOUT_MS)]);
      first = (
        await adapter.retrieve(client, job, {
          signal,
          onExtraRequest: () => {
            calls++;
          },
        })
      ).job;
      firstAt = Date.now();
    } catch (error) {
      if (stop.signal.aborted) return INTERRUPTED_EXIT_CODE;
      const failure = classifyRequestError(error, job, what);
      if (!failure.transient) throw new CliError(failure.error.message);
      if (failure.status === undefined) {
        const timedOut = error instanceof Error && /abort|timeout/i.test(error.name);
        const reason = timedOut
          ? `no answer within ${FIRST_ANSWER_TIMEOUT_MS / 1000} s`
          : networkReason(error);
        throw new CliError(
          `cannot reach ${client.baseURL} (${reason}): check --base-url, or whether the server is running`,
        );
      }
      // 429 or 5xx: worth watching anyway; the poll retries with backoff.
      io.stderr.write(
        `runstate watch: the first retrieve got HTTP ${failure.status}; retrying as the watch goes on\n`,
      );
    }
    if (!request.json) {
      io.stdout.write(
        style.bold(
          `Watching ${what} on ${client.baseURL} (source ${request.source}, gives up after ${formatDuration(maxWaitMs)})\n`,
        ),
      );
    }
    if (hub) {
      // The hub listened before the first retrieve, and that retrieve saw the job still running: no event can have
      // gone by unseen, so the watch needs no read of its own at start. Without that retrieve it reads.
      const createdJustNow = first !== undefined;
      source =
        request.source === 'webhook'
          ? webhookSource(hub, { createdJustNow })
          : hybrid(hub, undefined, { createdJustNow });
    }
    let last: RunSnapshot | undefined;
    try {
      last = await lastValueFrom(
        // The watch starts from what the first retrieve saw (its first snapshot is that read, the terminal one
        // when the job had already ended), so the screen never shows a state, or the text, going back.
        watchRun({
          client,
          job,
          source,
          maxWaitMs,
          signal: stop.signal,
          ...(first !== undefined ? { seed: { job: first, at: firstAt } } : {}),
        }).pipe(
          tap((s) => {
            // Without a first read (it got a 429 or 5xx), the watch's starting point, before any observation.
            if (s.status === undefined) return;
            print({ ...s, calls: calls + s.calls });
          }),
        ),
        { defaultValue: undefined },
      );
    } catch (error) {
      if (isRunstateError(error)) throw new CliError(error.message);
      throw error;
    }
    if (!last?.done) {
      io.stderr.write(
        `runstate watch: stopped watching (${String(stop.signal.reason ?? 'interrupted')}); the job goes on\n`,
      );
      return INTERRUPTED_EXIT_CODE;
    }
    return exitCodeOf(last.state);
  } finally {
    stop.dispose();
    await endpoint?.close();
  }
}
