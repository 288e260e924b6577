import type OpenAI from 'openai';
import type { JobRef } from '../../src/index.js';
import type { Scenario } from '../../src/sim/index.js';
import { scenarioMeta } from './sim.js';

/** A fine-tuning job on the simulator, scripted by `scenario` (no training file upload needed). */
export async function createFineTune(
  client: OpenAI,
  scenario: Scenario,
): Promise<Extract<JobRef, { kind: 'fine_tuning.job' }>> {
  const job = await client.fineTuning.jobs.create({
    model: 'gpt-4o-mini-2024-07-18',
    training_file: 'file-train',
    metadata: scenarioMeta({ anyInputFile: true, ...scenario }),
  });
  return { kind: 'fine_tuning.job', id: job.id };
}

/** An eval and one run of it with `items` items of its own, scripted by `scenario`. */
export async function createEvalRun(
  client: OpenAI,
  scenario: Scenario,
  items = 8,
): Promise<Extract<JobRef, { kind: 'eval.run' }>> {
  const evaluation = await client.evals.create({
    name: 'yes or no',
    data_source_config: { type: 'custom', item_schema: { type: 'object' } },
    testing_criteria: [
      {
        type: 'string_check',
        name: 'matches',
        input: '{{sample.output_text}}',
        reference: 'yes',
        operation: 'eq',
      },
    ],
  });
  // A jsonl run grades the samples its content carries (`{{sample.output_text}}`): each item brings one.
  const content = Array.from({ length: items }, (_, i) => ({
    item: { n: i },
    sample: { output_text: 'yes' },
  }));
  const run = await client.evals.runs.create(evaluation.id, {
    data_source: { type: 'jsonl', source: { type: 'file_content', content } },
    metadata: scenarioMeta(scenario),
  });
  return { kind: 'eval.run', evalId: evaluation.id, runId: run.id };
}

/** A vector store (carrying the scenario) and a batch of `files` file ids in it. */
export async function createFileBatch(
  client: OpenAI,
  scenario: Scenario,
  files = 6,
): Promise<Extract<JobRef, { kind: 'vector_store.file_batch' }>> {
  const store = await client.vectorStores.create({ name: 'docs', metadata: scenarioMeta(scenario) });
  const batch = await client.vectorStores.fileBatches.create(store.id, {
    file_ids: Array.from({ length: files }, (_, i) => `file-${i}`),
  });
  return { kind: 'vector_store.file_batch', vectorStoreId: store.id, batchId: batch.id };
}
