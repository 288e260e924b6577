import type OpenAI from 'openai';
import type { JobRef } from '../../src/index.js';
import {
  createRunQueue,
  createRunWorker,
  type RunQueue,
  type RunQueueOptions,
  type RunWorker,
  type RunWorkerOptions,
} from '../../src/queue/index.js';
import { type Scenario, type Simulator, type SimulatorOptions, startSimulator } from '../../src/sim/index.js';
import { assistantAndThread, scenarioMeta, simClient } from '../helpers/sim.js';

/** The shared Redis of the test machine; every test uses its own queue name and obliterates it after. */
export const REDIS = { host: '127.0.0.1', port: 6379 };

let serial = 0;
/** A queue name no other test (or helper's test run) uses. */
export const uniqueQueueName = (label: string) => `rs-test-${label}-${process.pid}-${Date.now()}-${serial++}`;

/** A simulator at `speed`× real time, a queue and workers on the same clock; `close()` removes everything. */
export interface QueueFixture {
  sim: Simulator;
  client: OpenAI;
  runs: RunQueue;
  workers: RunWorker[];
  name: string;
  speed: number;
  addWorker(options?: Partial<RunWorkerOptions>): Promise<RunWorker>;
  createRun(scenario: Scenario): Promise<JobRef>;
  createResponse(scenario: Scenario): Promise<JobRef>;
  close(): Promise<void>;
}

export async function queueFixture(
  label: string,
  {
    speed = 20,
    sim: simOptions = {},
    queue: queueOptions = {},
  }: { speed?: number; sim?: SimulatorOptions; queue?: Partial<RunQueueOptions> } = {},
): Promise<QueueFixture> {
  const sim = await startSimulator({ clock: { speed }, seed: 3, ...simOptions });
  const client = simClient(sim);
  const name = uniqueQueueName(label);
  const now = () => sim.clock.now();
  const runs = await createRunQueue({ connection: REDIS, name, now, speed, ...queueOptions });
  const workers: RunWorker[] = [];
  const fixture: QueueFixture = {
    sim,
    client,
    runs,
    workers,
    name,
    speed,
    async addWorker(options = {}) {
      const worker = await createRunWorker({ connection: REDIS, name, client, now, speed, ...options });
      workers.push(worker);
      return worker;
    },
    async createRun(scenario) {
      const { assistantId, threadId } = await assistantAndThread(client);
      const run = await client.beta.threads.runs.create(threadId, {
        assistant_id: assistantId,
        metadata: scenarioMeta(scenario),
      });
      return { kind: 'assistants.run', threadId, runId: run.id };
    },
    async createResponse(scenario) {
      const r = await client.responses.create({
        model: 'gpt-4o-mini',
        input: 'hi',
        background: true,
        metadata: scenarioMeta(scenario),
      });
      return { kind: 'response', id: r.id };
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await runs.obliterate();
      await runs.close();
      await sim.close();
    },
  };
  return fixture;
}
