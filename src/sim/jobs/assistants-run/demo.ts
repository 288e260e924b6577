import type { KindDemo } from '../sim-kind.js';

/** How long a run has to answer its tool calls before it expires, in simulated ms. */
const RUN_EXPIRY_MS = 60_000;

/** The demo's runs: one whose tool calls the demo answers, one that waits for a tool nobody handles. */
export const assistantsRunDemo: KindDemo = {
  fates: [
    {
      name: 'tool_calls',
      label: 'two tool calls',
      expect: 'completed',
      scenario: {
        phases: { queued: [500, 1500], in_progress: [3000, 10_000] },
        toolCalls: [
          [
            { name: 'get_weather', arguments: { city: 'Paris' } },
            { name: 'get_time', arguments: { timezone: 'Europe/Paris' } },
          ],
        ],
        outcome: 'completed',
      },
    },
    {
      name: 'expired_tools',
      label: 'expired waiting for tools',
      expect: 'expired',
      scenario: {
        phases: { queued: [500, 1500], in_progress: [2000, 6000] },
        // No handler for this tool: the run waits for a human, and expires.
        toolCalls: [[{ name: 'approve_refund', arguments: { order: 'A-1042', amount_eur: 120 } }]],
        expiresAfterMs: RUN_EXPIRY_MS,
      },
    },
  ],
  // One assistant serves every run of the demo.
  prepare: (client) => client.beta.assistants.create({ model: 'gpt-4o-mini', name: 'runstate demo' }),
  async create(client, metadata, prepared) {
    const assistant = prepared as { id: string };
    const thread = await client.beta.threads.create({
      messages: [{ role: 'user', content: 'What is the weather in Paris, and the time there?' }],
    });
    const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, metadata });
    return { kind: 'assistants.run', threadId: thread.id, runId: run.id };
  },
};
