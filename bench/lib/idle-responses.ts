import type OpenAI from 'openai';

// Jobs that stay in progress for an hour: every retrieve answers the same, nothing ends while measured.
const IN_PROGRESS_FOR_AN_HOUR = JSON.stringify({
  outcome: 'completed',
  phases: { queued: 0, in_progress: 3_600_000 },
});

/** Creates `n` background responses on the simulator that stay in progress for an hour; their ids. */
export async function createIdleResponses(client: OpenAI, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'hi',
      background: true,
      metadata: { sim_scenario: IN_PROGRESS_FOR_AN_HOUR },
    });
    ids.push(r.id);
  }
  return ids;
}
