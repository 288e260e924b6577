import type OpenAI from 'openai';
import { type Observable, type SchedulerLike, Subject, type Unsubscribable } from 'rxjs';
import type { JobRef, RequestMeter, SourceContext } from '../model/types.js';

type Adapter = SourceContext['adapter'];

/**
 * The source context of one `watchRun` subscription. The library's sources listen to it through
 * {@link listenAbort} and {@link listenNudges}, which keep a nudge listener as a function and add no abort listener:
 * an RxJS subscription to the nudges per source, and an abort listener per source on the signal, were about 1 KiB of
 * every idle watch and a tenth of its start (docs/benchmarks.md, "Heap per idle watched run"). `signal` and `nudge$`
 * are ordinary properties, so a spread copy (`{ ...ctx, nudge$ }`) is a whole context.
 *
 * The watch unsubscribes its source before it stops (the relay closes, or the actor stops its source child, first),
 * so a source needs no abort listener on this context: its teardown has run by then.
 */
export class WatchContext implements SourceContext {
  readonly signal: AbortSignal;
  readonly nudge$: Observable<void>;
  private readonly controller = new AbortController();
  private readonly subject = new Subject<void>();
  /** Nudge listeners of the library's sources: one function, or several. */
  private listeners: (() => void) | (() => void)[] | undefined = undefined;

  constructor(
    readonly client: OpenAI,
    readonly job: JobRef,
    readonly adapter: Adapter,
    readonly meter: RequestMeter,
    readonly scheduler: SchedulerLike,
    readonly random: () => number,
    readonly deadline: number,
  ) {
    this.signal = this.controller.signal;
    this.nudge$ = this.subject.asObservable();
  }

  /** Asks every source to look again soon (a tool output was submitted). */
  nudge(): void {
    const { listeners } = this;
    if (typeof listeners === 'function') listeners();
    else if (listeners) for (const listener of [...listeners]) listener();
    this.subject.next();
  }

  addNudgeListener(listener: () => void): void {
    const { listeners } = this;
    if (!listeners) this.listeners = listener;
    else if (typeof listeners === 'function') this.listeners = [listeners, listener];
    else listeners.push(listener);
  }

  removeNudgeListener(listener: () => void): void {
    const { listeners } = this;
    if (listeners === listener) this.listeners = undefined;
    else if (Array.isArray(listeners)) {
      const index = listeners.indexOf(listener);
      if (index >= 0) listeners.splice(index, 1);
    }
  }

  /** The watch stopped: aborts the signal and completes the nudges. */
  stop(): void {
    this.listeners = undefined;
    this.controller.abort();
    this.subject.complete();
  }
}

type AbortListener = (() => void) | { handleEvent(): void };

/**
 * Calls `listener` once when the context's signal aborts; nothing is added on a {@link WatchContext} (see there).
 */
export function listenAbort(ctx: SourceContext, listener: AbortListener): void {
  if (ctx instanceof WatchContext) return;
  ctx.signal.addEventListener('abort', listener, { once: true });
}

/** Removes a listener {@link listenAbort} added. */
export function unlistenAbort(ctx: SourceContext, listener: AbortListener): void {
  if (ctx instanceof WatchContext) return;
  ctx.signal.removeEventListener('abort', listener);
}

/**
 * Calls `listener` at each nudge of the context; unsubscribe to stop. On a {@link WatchContext} the listener is kept
 * as a function rather than as an RxJS subscription.
 */
export function listenNudges(ctx: SourceContext, listener: () => void): Unsubscribable {
  if (!(ctx instanceof WatchContext)) return ctx.nudge$.subscribe(listener);
  ctx.addNudgeListener(listener);
  return new NudgeListening(ctx, listener);
}

class NudgeListening implements Unsubscribable {
  constructor(
    private readonly ctx: WatchContext,
    private readonly listener: () => void,
  ) {}

  unsubscribe(): void {
    this.ctx.removeNudgeListener(this.listener);
  }
}
