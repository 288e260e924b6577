import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../../src/sim/index.js';
import { manualSim, scenarioMeta } from '../../../helpers/sim.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('a fine-tune’s validation metrics', () => {
  it('are in checkpoints and the result CSV only for a job given a validation file', async () => {
    const started = await manualSim();
    sim = started.sim;
    const { client } = started;
    const create = (validation_file?: string) =>
      client.fineTuning.jobs.create({
        model: 'gpt-4o-mini-2024-07-18',
        training_file: 'file-train',
        ...(validation_file ? { validation_file } : {}),
        metadata: scenarioMeta({
          anyInputFile: true,
          requests: 6,
          phases: { validating: 10, queued: 10, in_progress: 600 },
        }),
      });
    const [plain, validated] = [await create(), await create('file-valid')];
    await started.sim.clock.advance(1000);
    const metrics = async (id: string) =>
      (await client.fineTuning.jobs.checkpoints.list(id)).data.map((c) => c.metrics);
    const without = await metrics(plain.id);
    const withValid = await metrics(validated.id);
    expect(without).toHaveLength(3);
    for (const m of without) {
      expect(Object.keys(m).sort()).toEqual(['step', 'train_loss', 'train_mean_token_accuracy']);
    }
    expect(withValid).toHaveLength(3);
    for (const m of withValid) {
      expect(m).toEqual({
        step: expect.any(Number),
        train_loss: expect.any(Number),
        train_mean_token_accuracy: expect.any(Number),
        valid_loss: expect.any(Number),
        valid_mean_token_accuracy: expect.any(Number),
        full_valid_loss: expect.any(Number),
        full_valid_mean_token_accuracy: expect.any(Number),
      });
    }
    const csv = async (id: string) => {
      const job = await client.fineTuning.jobs.retrieve(id);
      return (await (await client.files.content(job.result_files[0]!)).text()).trim().split('\n');
    };
    expect((await csv(plain.id))[1]).toMatch(/^1,[\d.]+,[\d.]+,,$/);
    expect((await csv(validated.id))[1]).toMatch(/^1,[\d.]+,[\d.]+,[\d.]+,[\d.]+$/);
  });
});
