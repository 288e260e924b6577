import type { KindDemo } from '../sim-kind.js';

/** The demo's batch: cancelled while it runs. */
export const batchDemo: KindDemo = {
  fates: [
    {
      name: 'cancelled',
      label: 'cancelled',
      expect: 'cancelled',
      scenario: {
        phases: { validating: [1000, 3000], in_progress: [8000, 20_000], cancelling: [2000, 5000] },
        outcome: 'cancelled',
      },
    },
  ],
  async create(client, metadata) {
    // A real input file, uploaded as a user would: the batch reads its requests' custom_ids from it.
    const lines = Array.from({ length: 5 }, (_, i) =>
      JSON.stringify({
        custom_id: `report-${i + 1}`,
        method: 'POST',
        url: '/v1/responses',
        body: { model: 'gpt-4o-mini', input: `Summarise section ${i + 1}` },
      }),
    );
    const file = await client.files.create({
      file: new File([`${lines.join('\n')}\n`], 'reports.jsonl'),
      purpose: 'batch',
    });
    const b = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/responses',
      completion_window: '24h',
      metadata,
    });
    return { kind: 'batch', id: b.id };
  },
};
