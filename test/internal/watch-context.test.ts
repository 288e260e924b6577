import OpenAI from 'openai';
import { asyncScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  isAborted,
  listenAbort,
  listenNudges,
  unlistenAbort,
  WatchContext,
} from '../../src/internal/watch-context.js';
import { adapters } from '../../src/kinds/index.js';
import type { SourceContext } from '../../src/model/types.js';
import { createRequestMeter } from '../../src/requests/request-meter.js';

const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1' });
const context = () =>
  new WatchContext(
    client,
    { kind: 'response', id: 'resp_1' },
    adapters.response,
    createRequestMeter(),
    asyncScheduler,
    Math.random,
    Date.now() + 60_000,
  );

describe('WatchContext', () => {
  it('makes its signal on first use, and a signal made after the stop is aborted', () => {
    const stopped = context();
    expect(isAborted(stopped)).toBe(false);
    stopped.stop();
    expect(isAborted(stopped)).toBe(true);
    expect(stopped.signal.aborted).toBe(true);

    const live = context();
    const signal = live.signal;
    expect(live.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    live.stop();
    expect(signal.aborted).toBe(true);
  });

  it('is whole when spread: the copy carries the signal and the nudges, which stop with the watch', () => {
    const ctx = context();
    const copy: SourceContext = { ...ctx };
    expect(copy.signal).toBeInstanceOf(AbortSignal);
    let nudged = 0;
    let completed = false;
    copy.nudge$.subscribe({ next: () => nudged++, complete: () => (completed = true) });
    ctx.nudge();
    ctx.stop();
    expect([nudged, completed, copy.signal.aborted]).toEqual([1, true, true]);
  });

  it('tells nudge listeners and nudge$ subscribers alike, until each leaves', () => {
    const ctx = context();
    const heard: string[] = [];
    const a = listenNudges(ctx, () => heard.push('a'));
    listenNudges(ctx, () => heard.push('b'));
    ctx.nudge$.subscribe(() => heard.push('rx'));
    ctx.nudge();
    a.unsubscribe();
    ctx.nudge();
    expect(heard).toEqual(['a', 'b', 'rx', 'b', 'rx']);
  });

  it('takes no abort listener (the watch unsubscribes its source first); a plain context does', () => {
    let fired = 0;
    const listener = () => fired++;
    const ctx = context();
    listenAbort(ctx, listener);
    ctx.stop();
    const controller = new AbortController();
    const plain: SourceContext = { ...context(), signal: controller.signal };
    listenAbort(plain, listener);
    controller.abort();
    const other = new AbortController();
    const left: SourceContext = { ...context(), signal: other.signal };
    listenAbort(left, listener);
    unlistenAbort(left, listener);
    other.abort();
    expect(fired).toBe(1);
  });
});
