import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onAbort } from '../../src/internal/abort-listener.js';

describe('onAbort: one listener per signal', () => {
  it('calls every callback once through a single abort listener', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    for (let i = 0; i < 25; i++) onAbort(controller.signal, () => calls.push(i));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    controller.signal.dispatchEvent(new Event('abort'));
    expect(calls).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('removes the listener when the last callback unregisters, and can start again', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const offA = onAbort(controller.signal, () => calls.push('a'));
    const offB = onAbort(controller.signal, () => calls.push('b'));
    offA();
    offA();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    offB();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    onAbort(controller.signal, () => calls.push('c'));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    expect(calls).toEqual(['c']);
  });

  it('keeps two registrations of one function apart', () => {
    const controller = new AbortController();
    let calls = 0;
    const callback = () => calls++;
    const off = onAbort(controller.signal, callback);
    onAbort(controller.signal, callback);
    off();
    controller.abort();
    expect(calls).toBe(1);
  });
});
