import OpenAI from 'openai';
import type { JobRef } from '../../src/model/types.js';
import type { Scenario } from '../../src/sim/index.js';
import {
  type ManualClock,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '../../src/sim/index.js';

/** An SDK client on the simulator, with the SDK's own retries off so every HTTP answer is visible. */
export function simClient(
  sim: Pick<Simulator, 'baseURL'>,
  options: ConstructorParameters<typeof OpenAI>[0] = {},
): OpenAI {
  return new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0, ...options });
}

/** A simulator on a manual clock plus a client; close it with `sim.close()`. */
export async function manualSim(
  options: Omit<SimulatorOptions, 'clock'> = {},
): Promise<{ sim: Simulator<ManualClock>; client: OpenAI }> {
  const sim = await startSimulator({ ...options, clock: 'manual' });
  return { sim, client: simClient(sim) };
}

/** Creates an assistant and a thread: the two calls every run test starts with. */
export async function assistantAndThread(client: OpenAI): Promise<{ assistantId: string; threadId: string }> {
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini', name: 'sim' });
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Hello' }] });
  return { assistantId: assistant.id, threadId: thread.id };
}

/** Compact JSON for `metadata.sim_scenario`. */
export const scenarioMeta = (scenario: object): { sim_scenario: string } => ({
  sim_scenario: JSON.stringify(scenario),
});

/** A batch on the simulator scripted by `scenario`, with any input file accepted (no upload needed). */
export async function createBatch(
  client: OpenAI,
  scenario: Scenario,
): Promise<Extract<JobRef, { kind: 'batch' }>> {
  const b = await client.batches.create({
    input_file_id: 'file-abc',
    endpoint: '/v1/responses',
    completion_window: '24h',
    metadata: scenarioMeta({ anyInputFile: true, ...scenario }),
  });
  return { kind: 'batch', id: b.id };
}
