import type OpenAI from 'openai';
import { type Observable, type SchedulerLike, Subject, type Unsubscribable } from 'rxjs';
import type { JobRef, RequestMeter, SourceContext } from '../model/types.js';

type Adapter = SourceContext['adapter'];

/**
 * The source context of one `watchRun` subscription, whose signal and nudge Subject are made on first use: an idle
 * watch needs neither (the `AbortController` alone was about 1.4 KiB allocated and 0.7 KiB kept per watch, and the
 * tenth of its start that was not the collector: docs/benchmarks.md, "Heap per idle watched run"). The library's
 * sources listen through {@link isAborted}, {@link listenAbort} and {@link listenNudges}, which make neither and keep
 * a nudge listener as a function rather than an RxJS subscription; any other reader of `signal` or `nudge$` gets the
 * real thing.
 *
 * `signal` and `nudge$` are own enumerable accessors, defined on each instance with one shared getter (V8 keeps one
 * hidden class for them and stores nothing per instance), so a spread copy (`{ ...ctx, nudge$ }`, as a source of
 * your own may make) is a whole context, whose signal then exists.
 *
 * The watch unsubscribes its source before it stops (the relay closes, or the actor stops its source child, first),
 * so a source needs no abort listener on this context: its teardown has run by then.
 */
export class WatchContext implements SourceContext {
  declare readonly signal: AbortSignal;
  declare readonly nudge$: Observable<void>;
  private controller: AbortController | undefined = undefined;
  private subject: Subject<void> | undefined = undefined;
  /** Nudge listeners of the library's sources: one function, or several. */
  private listeners: (() => void) | (() => void)[] | undefined = undefined;
  private stopped = false;

  constructor(
    readonly client: OpenAI,
    readonly job: JobRef,
    readonly adapter: Adapter,
    readonly meter: RequestMeter,
    readonly scheduler: SchedulerLike,
    readonly random: () => number,
    readonly deadline: number,
  ) {
    Object.defineProperties(this, LAZY_PARTS);
  }

  /** Whether the watch has stopped, without making a signal. */
  get aborted(): boolean {
    return this.stopped;
  }

  /** The signal, made now if it was not. */
  makeSignal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopped) this.controller.abort();
    }
    return this.controller.signal;
  }

  /** The nudges as an Observable, made now if they were not. */
  makeNudges(): Observable<void> {
    if (!this.subject) {
      this.subject = new Subject<void>();
      if (this.stopped) this.subject.complete();
    }
    return this.subject.asObservable();
  }

  /** Asks every source to look again soon (a tool output was submitted). */
  nudge(): void {
    const { listeners } = this;
    if (typeof listeners === 'function') listeners();
    else if (listeners) for (const listener of [...listeners]) listener();
    this.subject?.next();
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

  /** The watch stopped: aborts the signal and completes the nudges, if made. */
  stop(): void {
    this.stopped = true;
    this.listeners = undefined;
    this.controller?.abort();
    this.subject?.complete();
  }
}

// One getter each for every context: defined on the instance (enumerable, so a spread copies them), kept in the
// hidden class rather than in each object.
const LAZY_PARTS: PropertyDescriptorMap = {
  signal: {
    get(this: WatchContext) {
      return this.makeSignal();
    },
    enumerable: true,
  },
  nudge$: {
    get(this: WatchContext) {
      return this.makeNudges();
    },
    enumerable: true,
  },
};

/** Whether the context's watch has stopped; on a {@link WatchContext}, without making its signal. */
export function isAborted(ctx: SourceContext): boolean {
  return ctx instanceof WatchContext ? ctx.aborted : ctx.signal.aborted;
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
