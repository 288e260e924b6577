import type { KindDemo } from '../sim-kind.js';

/** The demo's eval run: grades its items, a few of them failing, and completes. */
export const evalRunDemo: KindDemo = {
  fates: [
    {
      name: 'eval',
      label: 'completed',
      expect: 'completed',
      scenario: { phases: { queued: [1000, 2000], in_progress: [10_000, 20_000] }, failedRequests: 2 },
    },
  ],
  async prepare(client) {
    return client.evals.create({
      name: 'Yes or no',
      data_source_config: {
        type: 'custom',
        item_schema: {
          type: 'object',
          properties: { input: { type: 'string' }, expected: { type: 'string' } },
        },
        include_sample_schema: true,
      },
      testing_criteria: [
        {
          type: 'string_check',
          name: 'matches',
          input: '{{sample.output_text}}',
          reference: '{{item.expected}}',
          operation: 'eq',
        },
      ],
    });
  },
  async create(client, metadata, prepared) {
    const evalId = (prepared as { id: string }).id;
    // A jsonl run grades the samples its content carries (`{{sample.output_text}}`), so each item brings one.
    const content = Array.from({ length: 12 }, (_, i) => ({
      item: { input: `Is ${i} even?`, expected: i % 2 ? 'no' : 'yes' },
      sample: { output_text: i % 3 ? 'yes' : 'no' },
    }));
    const run = await client.evals.runs.create(evalId, {
      name: 'demo run',
      data_source: { type: 'jsonl', source: { type: 'file_content', content } },
      metadata,
    });
    return { kind: 'eval.run', evalId, runId: run.id };
  },
};
