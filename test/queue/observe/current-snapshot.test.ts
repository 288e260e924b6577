import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { RunSnapshot } from '../../../src/model/types.js';
import { currentSnapshot, initialSnapshot, isSnapshot } from '../../../src/queue/observe/current-snapshot.js';
import { storedSnapshot } from '../../../src/queue/stored-snapshot.js';
import { newWatchData, type WatchData } from '../../../src/queue/watch-data.js';

const data = newWatchData({ kind: 'response', id: 'resp_1' }, 1_000, 60_000);

const stepped: RunSnapshot = {
  ...initialSnapshot(data),
  state: 'in_progress',
  status: 'in_progress',
  at: 2_000,
  calls: 1,
};

/** The parts of a BullMQ job that currentSnapshot reads. */
const job = (watch: WatchData, progress: unknown = 0) => ({ data: watch, progress }) as unknown as Job;

describe('isSnapshot', () => {
  it('tells a snapshot from a progress notice, which has no done', () => {
    expect(isSnapshot(stepped)).toBe(true);
    expect(isSnapshot({ state: 'in_progress' })).toBe(false);
    expect(isSnapshot(null)).toBe(false);
    expect(isSnapshot(0)).toBe(false);
  });
});

describe('initialSnapshot', () => {
  it('is a queued watch at its start, before any request', () => {
    expect(initialSnapshot(data)).toEqual({
      id: 'resp_1',
      kind: 'response',
      state: 'queued',
      status: undefined,
      job: undefined,
      source: undefined,
      at: 1_000,
      calls: 0,
      done: false,
      pendingToolCalls: [],
      missingHandlers: [],
      note: undefined,
    });
  });
});

describe('currentSnapshot', () => {
  it('reads the snapshot a worker stored in the job, whole (earlier workers) or in its stored form', () => {
    expect(currentSnapshot(job({ ...data, snapshot: stepped }, { state: 'queued' }))).toEqual(stepped);
    expect(currentSnapshot(job({ ...data, snapshot: storedSnapshot(stepped) }))).toEqual(stepped);
  });

  it('reads the progress of a job stored by an earlier worker, which published whole snapshots there', () => {
    expect(currentSnapshot(job(data, stepped))).toBe(stepped);
  });

  it('is the initial snapshot for a watch no worker has stepped, whatever its progress notice says', () => {
    expect(currentSnapshot(job(data, { state: 'in_progress' }))).toEqual(initialSnapshot(data));
  });
});
