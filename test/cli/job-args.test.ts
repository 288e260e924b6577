import { describe, expect, it } from 'vitest';
import { JOB_ARG_CHOICES, JOB_ARG_HELP, JOB_ARG_OPTIONS, jobRefFromArgs } from '../../src/cli/job-args.js';
import { JOB_KINDS, kindSpec } from '../../src/kinds/registry.js';

const problem = (values: Record<string, string>) => {
  try {
    jobRefFromArgs(values);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
};

describe('the CLI argument table, read from the kinds', () => {
  it('makes each kind its ref from its own flags', () => {
    expect(jobRefFromArgs({ response: 'resp_1' })).toEqual({ kind: 'response', id: 'resp_1' });
    expect(jobRefFromArgs({ response: 'resp_1', 'completion-window': '2h' })).toEqual({
      kind: 'response',
      id: 'resp_1',
      completionWindow: '2h',
    });
    expect(jobRefFromArgs({ batch: 'b' })).toEqual({ kind: 'batch', id: 'b' });
    expect(jobRefFromArgs({ 'fine-tune': 'ft' })).toEqual({
      kind: 'fine_tuning.job',
      id: 'ft',
      progressFrom: 'events',
    });
    expect(jobRefFromArgs({ 'eval-run': 'e/r' })).toEqual({ kind: 'eval.run', evalId: 'e', runId: 'r' });
    expect(jobRefFromArgs({ 'file-batch': 'vs/fb' })).toEqual({
      kind: 'vector_store.file_batch',
      vectorStoreId: 'vs',
      batchId: 'fb',
    });
    expect(jobRefFromArgs({ 'agent-session': 's' })).toEqual({ kind: 'agent.session', sessionId: 's' });
    // Two flags make one ref.
    expect(jobRefFromArgs({ thread: 't', run: 'r', json: true } as never)).toEqual({
      kind: 'assistants.run',
      threadId: 't',
      runId: 'r',
    });
  });

  it('gives every ref it makes to its spec, which accepts it', () => {
    const samples: Record<string, string>[] = [
      { response: 'r' },
      { batch: 'b' },
      { 'fine-tune': 'f' },
      { 'eval-run': 'e/r' },
      { 'file-batch': 'v/b' },
      { 'agent-session': 's' },
      { thread: 't', run: 'r' },
    ];
    const kinds = samples.map((values) => {
      const ref = jobRefFromArgs(values);
      expect(kindSpec(ref.kind).refProblem(ref as never)).toBeUndefined();
      return ref.kind;
    });
    // Every kind with a command line is reached by one sample above.
    expect(new Set(kinds)).toEqual(new Set(JOB_KINDS.filter((kind) => kindSpec(kind).cli)));
  });

  it('refuses no job, two jobs, a stray option and values the kind refuses, in one line', () => {
    expect(problem({})).toBe(
      'say which job: --response ID, --batch ID, --fine-tune ID, --eval-run EVAL_ID/RUN_ID, --file-batch VS_ID/BATCH_ID, --agent-session ID or --thread ID --run ID',
    );
    expect(problem({ response: 'r', thread: 't' })).toBe(
      'one job at a time: got --response and --thread/--run',
    );
    expect(problem({ batch: 'b', 'completion-window': '2h' })).toBe(
      '--completion-window goes with --response',
    );
    expect(problem({ response: 'r', 'completion-window': '24h' })).toBe(
      '--completion-window must be soonest, 2h or 8h (got "24h")',
    );
    expect(problem({ run: 'r' })).toBe('an Assistants run needs both --thread ID and --run ID');
    expect(problem({ 'eval-run': 'e' })).toBe('--eval-run takes EVAL_ID/RUN_ID (got "e")');
    expect(problem({ 'file-batch': 'vs/' })).toBe('--file-batch takes VS_ID/BATCH_ID (got "vs/")');
  });

  it('has one option per flag, none shared by two kinds, and a help entry for each', () => {
    const names = JOB_KINDS.flatMap((kind) => {
      const cli = kindSpec(kind).cli;
      return cli ? [...cli.flags, ...(cli.options ?? [])].map((flag) => flag.name) : [];
    });
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(JOB_ARG_OPTIONS).sort()).toEqual([...names].sort());
    const help = JOB_ARG_HELP.join('\n');
    for (const name of names) expect(help).toContain(`--${name} `);
    // The shut-down Assistants API is listed last.
    expect(JOB_ARG_CHOICES.at(-1)).toBe('--thread ID --run ID');
  });
});
