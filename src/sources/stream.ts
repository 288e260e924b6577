import type OpenAI from 'openai';
import { APIError } from 'openai';
import type { Response, ResponseOutputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import {
  defer,
  EMPTY,
  fromEvent,
  map,
  mergeMap,
  Observable,
  of,
  type Subscription,
  takeUntil,
  takeWhile,
} from 'rxjs';
import { ConfigurationError } from '../errors/configuration-error.js';
import { classifyRequestError } from '../errors/from-api-error.js';
import { kindSpec } from '../kinds/registry.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import { isJobTerminal } from '../model/states.js';
import type { Source, SourceContext, StatusEvent } from '../model/types.js';
import {
  type BackoffOptions,
  type BackoffPolicy,
  MAX_TIMER_MS,
  nextDelay,
  resolveBackoff,
} from './backoff.js';
import { poll } from './poll.js';

/** Options of {@link stream}. */
export interface StreamOptions {
  /**
   * Silence (ms) after which the source retrieves the response to check on it, then reconnects. A response aborted
   * right after `response.created` can stay `queued` for good; this is how the watch notices.
   *
   * @defaultValue `30_000`
   */
  watchdogMs?: number;
  /**
   * Delays before reconnecting after a connection that brought nothing new failed (a connection that brought events
   * and then dropped is resumed at once).
   *
   * @defaultValue `DEFAULT_RECONNECT_BACKOFF`: 250 ms, ×2, capped at 10 s, full jitter
   */
  reconnect?: BackoffOptions;
  /**
   * Connections in a row that fail without bringing anything new before the source falls back.
   *
   * @defaultValue `8`
   */
  maxReconnects?: number;
  /**
   * Least time (ms) between two events that only add text.
   *
   * @defaultValue `100`, so at most 10 a second
   */
  textIntervalMs?: number;
  /**
   * What watches the job when it cannot stream (batches, runs, a refused or failing stream).
   *
   * @defaultValue `poll()`
   */
  fallback?: Source;
}

/** The stream source, with its resolved settings. */
export interface StreamSource extends Source {
  readonly name: 'stream';
  readonly watchdogMs: number;
  readonly reconnectPolicy: BackoffPolicy;
  readonly maxReconnects: number;
  readonly textIntervalMs: number;
  readonly fallback: Source;
}

/** The reconnect schedule by default: 250 ms, ×2, capped at 10 s, full jitter (floor 50 ms). */
export const DEFAULT_RECONNECT_BACKOFF: BackoffPolicy = {
  initialDelayMs: 250,
  factor: 2,
  maxDelayMs: 10_000,
  jitter: 'full',
  minDelayMs: 50,
};

/**
 * A source that watches a background response over server-sent events: the response must be created with
 * `background: true, stream: true`, and the source streams it again with `GET /responses/{id}?stream=true`. It
 * remembers the last `sequence_number`, resumes after a drop with `starting_after` (never applying an event twice),
 * retrieves the response when the stream stays silent for `watchdogMs`, and emits the text as it is written, at most
 * one text-only event per `textIntervalMs`. A job that cannot stream (a batch, an Assistants run, a response created
 * without `stream`) is watched by `fallback`, and every event then says so in its `note`.
 * @example watchRun({ client, job: { kind: 'response', id }, source: stream() })
 */
export function stream(options: StreamOptions = {}): StreamSource {
  const { watchdogMs = 30_000, maxReconnects = 8, textIntervalMs = 100, reconnect = {} } = options;
  const positive = (name: string, v: number) => {
    if (!(Number.isFinite(v) && v > 0 && v <= MAX_TIMER_MS)) {
      throw new ConfigurationError(`stream(): ${name} must be a number of ms > 0, got ${JSON.stringify(v)}`);
    }
  };
  positive('watchdogMs', watchdogMs);
  positive('textIntervalMs', textIntervalMs);
  if (!(Number.isInteger(maxReconnects) && maxReconnects >= 0)) {
    throw new ConfigurationError(
      `stream(): maxReconnects must be a whole number ≥ 0, got ${JSON.stringify(maxReconnects)}`,
    );
  }
  const fallback = options.fallback ?? poll();
  if (typeof fallback?.watch !== 'function') {
    throw new ConfigurationError('stream(): fallback must be a source, such as poll()');
  }
  const source: StreamSource = {
    name: 'stream',
    watchdogMs,
    reconnectPolicy: resolveBackoff(reconnect, DEFAULT_RECONNECT_BACKOFF, 'stream({ reconnect })'),
    maxReconnects,
    textIntervalMs,
    fallback,
    watch: (ctx) => watchByStream(ctx, source),
  };
  return source;
}

/** The stream gave up: watch with the fallback from here, saying why. */
interface FallBack {
  fallback: string;
}

const isFallBack = (x: StatusEvent | FallBack): x is FallBack => 'fallback' in x;

function watchByStream(ctx: SourceContext, source: StreamSource): Observable<StatusEvent> {
  return defer(() => {
    if (ctx.signal.aborted || ctx.scheduler.now() >= ctx.deadline) return EMPTY;
    // The kind's spec says whether it streams; a fake adapter in tests keeps the spec of its ref's kind.
    const spec = kindSpec(ctx.job.kind);
    const steps$: Observable<StatusEvent | FallBack> =
      spec.stream !== undefined
        ? streamResponse(ctx, source, spec.jobId(ctx.job))
        : of({
            fallback: `${ctx.adapter.describe(ctx.job)} cannot stream (only background responses do): watched by polling instead`,
          });
    return steps$.pipe(
      mergeMap((step) =>
        isFallBack(step)
          ? source.fallback.watch(ctx).pipe(map((event) => ({ ...event, note: step.fallback })))
          : of(step),
      ),
      takeWhile((event) => !isJobTerminal(event.state), true),
      takeUntil(fromEvent(ctx.signal, 'abort')),
    );
  });
}

/** The response as the stream has built it so far: the last lifecycle object, with the output written since. */
class Accumulated {
  response: Response | undefined;
  private readonly items: ResponseOutputItem[] = [];

  apply(event: ResponseStreamEvent): void {
    switch (event.type) {
      case 'response.output_item.added':
      case 'response.output_item.done':
        this.items[event.output_index] = structuredClone(event.item);
        return;
      case 'response.content_part.added': {
        const item = this.items[event.output_index];
        if (item?.type === 'message' && event.part.type !== 'reasoning_text') {
          item.content[event.content_index] = structuredClone(event.part);
        }
        return;
      }
      case 'response.output_text.delta': {
        const item = this.items[event.output_index];
        const part = item?.type === 'message' ? item.content[event.content_index] : undefined;
        if (part?.type === 'output_text') part.text += event.delta;
        return;
      }
      default:
        if ('response' in event) this.response = event.response;
    }
  }

  /** The text written so far, as the SDK's `output_text` joins it: every `output_text` part of every message. */
  get text(): string {
    return outputText(this.items);
  }

  /** The response with the output so far; a terminal response keeps its own output when it has one. */
  job(): Response | undefined {
    const { response } = this;
    if (!response) return undefined;
    const output = response.output.length > 0 ? response.output : structuredClone(this.items.filter(Boolean));
    return { ...response, output, output_text: outputText(output) };
  }
}

function outputText(items: readonly ResponseOutputItem[]): string {
  let text = '';
  for (const item of items) {
    if (item?.type !== 'message') continue;
    for (const part of item.content) if (part.type === 'output_text') text += part.text;
  }
  return text;
}

const LIFECYCLE = new Set([
  'response.created',
  'response.queued',
  'response.in_progress',
  'response.completed',
  'response.failed',
  'response.incomplete',
]);

/**
 * Streams one response: emits a status event per lifecycle event (at once) and per batch of text (at most one per
 * `textIntervalMs`), and ends after the terminal one; or emits one {@link FallBack} and completes.
 */
function streamResponse(
  ctx: SourceContext,
  source: StreamSource,
  id: string,
): Observable<StatusEvent | FallBack> {
  return new Observable<StatusEvent | FallBack>((subscriber) => {
    const label = ctx.adapter.describe(ctx.job);
    const acc = new Accumulated();
    let lastSeq: number | undefined;
    // Connections in a row that brought nothing new.
    let failures = 0;
    let connection: AbortController | undefined;
    let watchdog: Subscription | undefined;
    let retry: Subscription | undefined;
    let textTimer: Subscription | undefined;
    let textPending = false;
    let closed = false;

    const now = () => ctx.scheduler.now();
    const clip = (ms: number) => Math.max(0, Math.min(ms, ctx.deadline - now()));
    const disconnect = () => {
      connection?.abort();
      connection = undefined;
      watchdog?.unsubscribe();
      watchdog = undefined;
    };
    const finish = () => {
      closed = true;
      disconnect();
      retry?.unsubscribe();
      textTimer?.unsubscribe();
    };
    const emit = (event: StatusEvent) => {
      if (closed) return;
      if (isJobTerminal(event.state)) {
        finish();
        subscriber.next(event);
        subscriber.complete();
        return;
      }
      subscriber.next(event);
    };
    const emitBuilt = () => {
      const job = acc.job();
      if (job) emit(toStatusEvent(ctx.adapter, job, now(), 'stream'));
    };
    const fallBack = (why: string) => {
      if (closed) return;
      finish();
      subscriber.next({ fallback: why });
      subscriber.complete();
    };

    // Text-only events: the first at once, later ones at most one per interval, the last one never lost.
    const emitText = () => {
      textPending = false;
      emitBuilt();
      textTimer = ctx.scheduler.schedule(() => {
        textTimer = undefined;
        if (textPending && !closed) emitText();
      }, source.textIntervalMs);
    };
    const onText = () => {
      if (textTimer) textPending = true;
      else emitText();
    };

    const apply = (event: ResponseStreamEvent) => {
      acc.apply(event);
      if (LIFECYCLE.has(event.type)) {
        // A lifecycle event carries the text so far: nothing is left pending.
        textPending = false;
        emitBuilt();
      } else if (event.type === 'response.output_text.delta') onText();
    };

    /** One retrieve, counted; the observation it makes is a poll's, and its note says why it was made. */
    const check = async (why: string): Promise<StatusEvent | undefined> => {
      const controller = new AbortController();
      const stop = () => controller.abort();
      ctx.signal.addEventListener('abort', stop, { once: true });
      ctx.meter.add();
      try {
        const { job } = await ctx.adapter.retrieve(ctx.client, ctx.job, { signal: controller.signal });
        return { ...toStatusEvent(ctx.adapter, job, now(), 'poll'), note: why };
      } catch (e) {
        if (closed || ctx.signal.aborted) return undefined;
        const failure = classifyRequestError(e, ctx.job, label);
        if (!failure.transient) {
          finish();
          subscriber.error(failure.error);
        }
        return undefined;
      } finally {
        ctx.signal.removeEventListener('abort', stop);
      }
    };

    const reconnectLater = () => {
      if (closed) return;
      if (failures > source.maxReconnects) {
        fallBack(
          `the stream of ${label} failed ${failures} times in a row without news: watched by polling instead`,
        );
        return;
      }
      const delay =
        failures === 0
          ? 0
          : nextDelay(source.reconnectPolicy, failures - 1, {
              random: ctx.random,
              now: now(),
              deadline: ctx.deadline,
            });
      retry = ctx.scheduler.schedule(() => {
        retry = undefined;
        connect();
      }, delay);
    };

    const armWatchdog = (controller: AbortController) => {
      watchdog?.unsubscribe();
      watchdog = ctx.scheduler.schedule(() => {
        watchdog = undefined;
        if (closed || connection !== controller) return;
        void check(
          `the stream of ${label} was silent for ${source.watchdogMs} ms: checked with a retrieve`,
        ).then((event) => {
          if (closed || connection !== controller) return;
          if (event) emit(event);
          if (closed) return;
          // Silent but alive, or stuck: a fresh connection resumes after the last event seen.
          disconnect();
          connect();
        });
      }, clip(source.watchdogMs));
    };

    /** The stream ended without a terminal event (a cancelled response, a server that closed it): ask. */
    const onEnd = async (progressed: boolean) => {
      if (!progressed) failures++;
      const event = await check(
        `the stream of ${label} ended without a final event: checked with a retrieve`,
      );
      if (closed) return;
      if (event) emit(event);
      if (!closed) reconnectLater();
    };

    const onError = (e: unknown, progressed: boolean) => {
      const failure = classifyRequestError(e, ctx.job, label);
      if (!failure.transient) {
        const status = (failure.error as { status?: number }).status;
        if (status === 400) {
          fallBack(
            `the server refused to stream ${label} (${failure.error.message}): watched by polling instead`,
          );
        } else {
          finish();
          subscriber.error(failure.error);
        }
        return;
      }
      if (!progressed) failures++;
      reconnectLater();
    };

    function connect(): void {
      if (closed) return;
      if (now() >= ctx.deadline) {
        finish();
        subscriber.complete();
        return;
      }
      const controller = new AbortController();
      connection = controller;
      if (ctx.signal.aborted) controller.abort();
      ctx.meter.add();
      armWatchdog(controller);
      let progressed = false;
      const query =
        lastSeq === undefined
          ? { stream: true as const }
          : { stream: true as const, starting_after: lastSeq };
      const read = async () => {
        const events = await (ctx.client as OpenAI).responses.retrieve(id, query, {
          maxRetries: 0,
          signal: controller.signal,
        });
        for await (const event of events) {
          if (closed || connection !== controller) return;
          // A resumed stream starts after lastSeq; a replay (or a server that repeats itself) is skipped here.
          if (lastSeq !== undefined && event.sequence_number <= lastSeq) continue;
          lastSeq = event.sequence_number;
          if (!progressed) {
            progressed = true;
            failures = 0;
          }
          armWatchdog(controller);
          apply(event);
        }
      };
      read().then(
        () => {
          if (closed || connection !== controller) return;
          connection = undefined;
          void onEnd(progressed);
        },
        (e: unknown) => {
          if (closed || connection !== controller || ctx.signal.aborted) return;
          connection = undefined;
          const seq = errorEventSequence(e);
          if (seq === undefined) {
            onError(e, progressed);
            return;
          }
          // The stream's own `error` event (the job failing), which openai 7 throws where openai 6 yields it: the
          // events after it (`response.failed`) are read by resuming right after it.
          lastSeq = Math.max(lastSeq ?? seq, seq);
          failures = 0;
          disconnect();
          connect();
        },
      );
    }

    connect();
    return finish;
  });
}

/**
 * The `sequence_number` of a stream's `error` event when `e` is that event thrown by the SDK (openai 7 throws an
 * `APIError` carrying the event, with no HTTP status), else undefined: a real request failure.
 */
function errorEventSequence(e: unknown): number | undefined {
  if (!(e instanceof APIError) || e.status !== undefined) return undefined;
  const event = e.error as { type?: unknown; sequence_number?: unknown } | undefined;
  return event?.type === 'error' && typeof event.sequence_number === 'number'
    ? event.sequence_number
    : undefined;
}
