import type { KindDemo } from '../sim-kind.js';

/** The demo's fine-tune: trains for a while and succeeds. */
export const fineTuningJobDemo: KindDemo = {
  fates: [
    {
      name: 'fine-tune',
      label: 'succeeded',
      expect: 'completed',
      scenario: {
        phases: { validating: [1000, 2000], queued: [2000, 4000], in_progress: [20_000, 40_000] },
        outcome: 'completed',
        requests: 30,
      },
    },
  ],
  async create(client, metadata) {
    // A real training file, uploaded as a user would.
    const lines = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: `Question ${i + 1}` },
          { role: 'assistant', content: `Answer ${i + 1}` },
        ],
      }),
    );
    const file = await client.files.create({
      file: new File([`${lines.join('\n')}\n`], 'train.jsonl'),
      purpose: 'fine-tune',
    });
    const job = await client.fineTuning.jobs.create({
      model: 'gpt-4o-mini-2024-07-18',
      training_file: file.id,
      metadata,
    });
    return { kind: 'fine_tuning.job', id: job.id };
  },
};
