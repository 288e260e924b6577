import { describe, expect, it } from 'vitest';
import {
  byKind,
  findKindSpec,
  isJobKind,
  JOB_KINDS,
  KIND_LIST,
  KINDS,
  kindSpec,
} from '../../src/kinds/registry.js';
import { DEFAULT_POLL_SCHEDULES } from '../../src/sources/poll-schedule.js';
import { DEFAULT_MAX_WAIT_MS } from '../../src/watch/watch-run.js';

describe('the kind registry', () => {
  it('files each spec under the name it gives itself', () => {
    for (const [name, spec] of Object.entries(KINDS)) expect(spec.kind).toBe(name);
    expect(JOB_KINDS).toEqual(Object.keys(KINDS));
  });

  it('lists the kinds for messages, and knows only its own names', () => {
    expect(KIND_LIST).toBe(
      "'assistants.run', 'response', 'batch', 'fine_tuning.job', 'eval.run', 'vector_store.file_batch' or 'agent.session'",
    );
    for (const kind of JOB_KINDS) expect(isJobKind(kind)).toBe(true);
    for (const other of ['toString', 'constructor', '', 'Response', undefined, 7]) {
      expect(isJobKind(other)).toBe(false);
      expect(findKindSpec(other)).toBeUndefined();
    }
  });

  it('derives one value per kind from the specs: the default wait and poll schedule', () => {
    expect(byKind((_spec, kind) => kind)).toEqual(Object.fromEntries(JOB_KINDS.map((k) => [k, k])));
    for (const kind of JOB_KINDS) {
      expect(DEFAULT_MAX_WAIT_MS[kind]).toBe(kindSpec(kind).defaults.maxWaitMs);
      expect(DEFAULT_POLL_SCHEDULES[kind].growth).toEqual(kindSpec(kind).defaults.poll.growth);
    }
  });
});

describe.each(JOB_KINDS)('the %s spec', (kind) => {
  const spec = kindSpec(kind);

  it('names a job by its own id, and makes a ref back from it', () => {
    const ref = spec.refFromJobId('job_1', 'parent_1');
    expect(ref.kind).toBe(kind);
    expect(spec.jobId(ref)).toBe('job_1');
    expect(spec.refProblem(ref)).toBeUndefined();
    expect(spec.describe(ref)).toContain('job_1');
  });

  it('finds a ref with an empty or missing id bad, in words that follow "job <kind> "', () => {
    expect(spec.refProblem(spec.refFromJobId('', 'parent_1'))).toBe('needs non-empty string ids');
    expect(spec.refProblem({ kind })).toBe('needs non-empty string ids');
  });

  it("refuses another kind's ref (a caller chose the wrong spec)", () => {
    const other = JOB_KINDS.find((k) => k !== kind)!;
    expect(() => spec.jobId(kindSpec(other).refFromJobId('job_1', 'parent_1'))).toThrow(TypeError);
  });

  it('announces a job from a webhook with the status the event names, which the spec maps', () => {
    const ref = spec.refFromJobId('job_1', 'parent_1');
    // The status the kind's API says when done: `completed` (an agent session's turn too), a fine-tune's `succeeded`.
    const done = ['completed', 'succeeded'].find((s) => spec.mapStatus(s) === 'completed')!;
    const announced = spec.announced(ref, done);
    expect(announced).toMatchObject({ id: 'job_1', status: done, announced: true });
    expect(spec.mapStatus(spec.status(announced))).toBe('completed');
  });

  it('keeps the fields a watch decides from in its slim copy', () => {
    expect(spec.slimFields).toEqual(expect.arrayContaining(['id', 'object', 'status', 'created_at']));
  });

  it('adds nothing to a snapshot before the first observation, and keys what it adds', () => {
    expect(spec.snapshotExtras(undefined)).toEqual({});
    expect(spec.extrasKey(spec.snapshotExtras(undefined))).toBe('');
  });
});

describe('snapshot extras by kind', () => {
  it('a response adds its text and its length; its key is the length', () => {
    const extras = KINDS.response.snapshotExtras({ output_text: 'héllo' });
    expect(extras).toEqual({ text: 'héllo', textLength: 5 });
    expect(KINDS.response.extrasKey(extras)).toBe('5');
  });

  it('a batch adds its progress when its counts are whole numbers; its key is the counts', () => {
    const extras = KINDS.batch.snapshotExtras({ request_counts: { completed: 3, failed: 1, total: 10 } });
    expect(extras).toEqual({ progress: { done: 4, completed: 3, failed: 1, total: 10 } });
    expect(KINDS.batch.extrasKey(extras)).toBe('4/10/3/1');
    expect(KINDS.batch.snapshotExtras({ request_counts: { completed: 1.5, failed: 0, total: 2 } })).toEqual(
      {},
    );
  });

  it('a fine-tune adds paused, and its progress when its last metrics event is on it; its key is both', () => {
    const event = { type: 'metrics', data: { step: 7, total_steps: 20, train_loss: 0.5 } };
    const extras = KINDS['fine_tuning.job'].snapshotExtras({ status: 'paused', last_metrics_event: event });
    expect(extras).toEqual({ paused: true, progress: { done: 7, total: 20, trainLoss: 0.5 } });
    expect(KINDS['fine_tuning.job'].extrasKey(extras)).toBe('paused|7/20/0.5');
    expect(KINDS['fine_tuning.job'].snapshotExtras({ status: 'running' })).toEqual({});
    // A metrics event without whole step counts is no progress.
    const odd = { type: 'metrics', data: { step: 1.5, total_steps: 20 } };
    expect(KINDS['fine_tuning.job'].snapshotExtras({ status: 'running', last_metrics_event: odd })).toEqual(
      {},
    );
  });

  it('responses and agent sessions stream', () => {
    expect(JOB_KINDS.filter((k) => kindSpec(k).stream !== undefined)).toEqual(['response', 'agent.session']);
  });
});
