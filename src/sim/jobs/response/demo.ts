import type { KindDemo } from '../sim-kind.js';

/** The demo's responses: one completes, one fails, one outlasts the watch; and the streamed one. */
export const responseDemo: KindDemo = {
  fates: [
    {
      name: 'completed',
      label: 'completed',
      expect: 'completed',
      scenario: { phases: { queued: [500, 2000], in_progress: [5000, 25_000] }, outcome: 'completed' },
    },
    {
      name: 'failed',
      label: 'failed',
      expect: 'failed',
      scenario: {
        phases: { queued: [500, 1500], in_progress: [4000, 15_000] },
        outcome: 'failed',
        error: { code: 'server_error', message: 'The model backend stopped responding' },
      },
    },
    {
      name: 'timed_out',
      label: 'timed out',
      expect: 'timed_out',
      // Runs for half an hour; the watch gives up after 90 s and leaves it running.
      maxWaitMs: 90_000,
      scenario: { phases: { queued: 1000, in_progress: 30 * 60_000 }, outcome: 'completed' },
    },
  ],
  async create(client, metadata) {
    const r = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'Summarise the quarterly report',
      background: true,
      metadata,
    });
    return { kind: 'response', id: r.id };
  },
  async createStreamed(client, metadata) {
    const events = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'Write a haiku',
      background: true,
      stream: true,
      metadata,
    });
    let id = '';
    for await (const event of events) {
      if (event.type === 'response.created') id = event.response.id;
      else break;
    }
    return { kind: 'response', id };
  },
};
