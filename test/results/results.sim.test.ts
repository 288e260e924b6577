import type OpenAI from 'openai';
import { lastValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { JobNotEndedError } from '../../src/errors/job-not-ended-error.js';
import { RetriesExhaustedError } from '../../src/errors/retries-exhausted-error.js';
import { evalResults, fineTuneResult, parseMetricsCsv } from '../../src/results/index.js';
import type { ManualClock, Simulator } from '../../src/sim/index.js';
import { createEvalRun, createFineTune } from '../helpers/more-kinds.js';
import { manualSim } from '../helpers/sim.js';

let sim: Simulator<ManualClock>;
let client: OpenAI;

afterEach(async () => {
  await sim?.close();
});

describe('evalResults', () => {
  it('pages a 250-item run lazily, oldest first, with pass or fail per item', async () => {
    ({ sim, client } = await manualSim());
    const ref = await createEvalRun(
      client,
      { phases: { queued: 10, in_progress: 1000 }, failedRequests: [3, 99, 200] },
      250,
    );
    await sim.clock.advance(2000);
    const before = sim.stats().requests.total;
    const items = await lastValueFrom(evalResults(client, ref, { pageSize: 100 }).pipe(toArray()));
    expect(items.map((i) => i.datasourceItemId)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(items.filter((i) => !i.passed).map((i) => i.datasourceItemId)).toEqual([3, 99, 200]);
    expect(items[3]).toMatchObject({
      status: 'fail',
      passed: false,
      results: [{ name: 'matches', passed: false }],
    });
    // Three pages of 100: three requests.
    expect(sim.stats().requests.total - before).toBe(3);
  });

  it('reads no further page than a subscriber takes, and takes the run object too', async () => {
    ({ sim, client } = await manualSim());
    const ref = await createEvalRun(client, { phases: { queued: 10, in_progress: 1000 } }, 250);
    await sim.clock.advance(2000);
    const run = await client.evals.runs.retrieve(ref.runId, { eval_id: ref.evalId });
    const before = sim.stats().requests.total;
    const first = await lastValueFrom(evalResults(client, run, { pageSize: 50 }).pipe(take(10), toArray()));
    expect(first).toHaveLength(10);
    expect(sim.stats().requests.total - before).toBe(1);
    const failed = await lastValueFrom(evalResults(client, run, { status: 'fail' }).pipe(toArray()));
    expect(failed).toEqual([]);
  });

  it('fails typed: a missing run is NotFoundError, a server that keeps failing RetriesExhaustedError', async () => {
    ({ sim, client } = await manualSim());
    const ref = await createEvalRun(client, {}, 3);
    await expect(
      lastValueFrom(evalResults(client, { evalId: ref.evalId, runId: 'evalrun_missing' })),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    sim.setFaults({ serverError: { probability: 1, routes: ['evals.runs.output_items.list'] } });
    await expect(lastValueFrom(evalResults(client, ref, { maxRetries: 1 }))).rejects.toBeInstanceOf(
      RetriesExhaustedError,
    );
    expect(() => evalResults(client, { evalId: '', runId: 'x' })).toThrow(/evalResults/);
  });
});

describe('fineTuneResult', () => {
  it('gives the model, the metrics CSV as rows and the checkpoints of a fine-tune that succeeded', async () => {
    ({ sim, client } = await manualSim());
    const ref = await createFineTune(client, {
      phases: { validating: 10, queued: 10, in_progress: 3000 },
      requests: 30,
    });
    const { id } = ref;
    await expect(fineTuneResult(client, id)).rejects.toBeInstanceOf(JobNotEndedError);
    await sim.clock.advance(5000);
    const job = await client.fineTuning.jobs.retrieve(id);
    const result = await fineTuneResult(client, job);
    expect(result.model).toBe(job.fine_tuned_model);
    expect(result.model).toMatch(/^ft:/);
    expect(result.metrics).toHaveLength(30);
    expect(result.metrics[0]).toMatchObject({ step: 1, valid_loss: null });
    expect(typeof result.metrics[29]!.train_loss).toBe('number');
    expect(result.checkpoints.map((c) => c.step_number)).toEqual([10, 20, 30]);
  });

  it('rejects a failed fine-tune with JobNotEndedError carrying its status', async () => {
    ({ sim, client } = await manualSim());
    const ref = await createFineTune(client, { outcome: 'failed' });
    await sim.clock.advance(10_000);
    await expect(fineTuneResult(client, ref.id)).rejects.toMatchObject({
      code: 'job_not_ended',
      jobStatus: 'failed',
    });
  });

  it('reads a metrics CSV: numbers as numbers, empty cells null', () => {
    expect(parseMetricsCsv('step,train_loss,note\n1,0.5,\n2,0.25,x\n')).toEqual([
      { step: 1, train_loss: 0.5, note: null },
      { step: 2, train_loss: 0.25, note: 'x' },
    ]);
    expect(parseMetricsCsv('')).toEqual([]);
  });
});
