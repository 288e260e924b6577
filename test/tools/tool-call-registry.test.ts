import { describe, expect, it } from 'vitest';
import { ToolCallRegistry } from '../../src/tools/tool-call-registry.js';

const never = () => new AbortController().signal;

describe('ToolCallRegistry', () => {
  it('runs the work for a key once while watches of the run are open, and forgets the run with its last watch', async () => {
    const registry = new ToolCallRegistry();
    const leaveA = registry.join('run_1');
    const leaveB = registry.join('run_1');
    let runs = 0;
    const work = async () => ++runs;
    const [a, b] = await Promise.all([
      registry.once('run_1', 'call:1', never(), work),
      registry.once('run_1', 'call:1', never(), work),
    ]);
    expect([a, b, runs]).toEqual([1, 1, 1]);
    // A late watch of the same run still gets the result, without running it again.
    expect(await registry.once('run_1', 'call:1', never(), work)).toBe(1);
    leaveA();
    leaveA();
    expect(registry.size).toBe(1);
    leaveB();
    expect(registry.size).toBe(0);
    // Without a joined watch (or without a key), the work runs unshared.
    expect(await registry.once('run_1', 'call:1', never(), work)).toBe(2);
    expect(await registry.once(undefined, 'call:1', never(), work)).toBe(3);
  });

  it('hands the work to a waiting watch when its owner stops, and shares any other failure once', async () => {
    const registry = new ToolCallRegistry();
    registry.join('run_1');
    const owner = new AbortController();
    let reject: (e: unknown) => void = () => {};
    const first = registry.once(
      'run_1',
      'call:1',
      owner.signal,
      () =>
        new Promise<string>((_, r) => {
          reject = r;
        }),
    );
    const second = registry.once('run_1', 'call:1', never(), async () => 'taken over');
    owner.abort();
    reject(new Error('aborted'));
    await expect(first).rejects.toThrow('aborted');
    expect(await second).toBe('taken over');

    const failing = registry.once('run_1', 'call:2', never(), async () => {
      throw new Error('handler failed');
    });
    const waiting = registry.once('run_1', 'call:2', never(), async () => 'never runs');
    await expect(failing).rejects.toThrow('handler failed');
    await expect(waiting).rejects.toThrow('handler failed');
    // The failure is not kept: a later try runs again.
    expect(await registry.once('run_1', 'call:2', never(), async () => 'retried')).toBe('retried');
  });
});
