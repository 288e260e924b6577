import { describe, expect, it } from 'vitest';
import { formatWatchData } from '../../src/dashboard/index.js';
import { newWatchData } from '../../src/queue/watch-data.js';

describe('formatWatchData', () => {
  it("shows a watch's data as the dashboard's view, without the API object", () => {
    const data = newWatchData({ kind: 'batch', id: 'batch_1' }, 1_000, 60_000);
    data.snapshot = {
      id: 'batch_1',
      kind: 'batch',
      state: 'in_progress',
      status: 'in_progress',
      job: { id: 'batch_1', secret_looking: 'x' } as never,
      source: 'poll',
      at: 2_000,
      calls: 3,
      done: false,
      pendingToolCalls: [],
      missingHandlers: [],
      note: undefined,
      progress: { completed: 2, failed: 1, total: 10 },
    } as never;
    const view = formatWatchData(data);
    expect(view).toMatchObject({
      key: 'batch_1',
      kind: 'batch',
      state: 'in_progress',
      calls: 3,
      startedAt: 1_000,
    });
    expect(view).toMatchObject({ progress: { completed: 2, failed: 1, total: 10 } });
    expect(JSON.stringify(view)).not.toContain('secret_looking');
  });

  it('passes other data through', () => {
    expect(formatWatchData({ hello: 1 })).toEqual({ hello: 1 });
    expect(formatWatchData(null)).toBeNull();
  });
});
