import { QueueEvents } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { JobRef } from '../../src/index.js';
import { NO_STATES } from '../../src/model/states.js';
import { createRunQueue, type RunQueue } from '../../src/queue/index.js';
import { type Outcome, type Scenario, type Simulator, startSimulator } from '../../src/sim/index.js';
import { createScaledClock } from '../../src/sim/time/clock.js';
import { cliEnv, killLeftovers, startCli } from '../cli/run-cli.js';
import { assistantAndThread, scenarioMeta, simClient } from '../helpers/sim.js';
import { REDIS, uniqueQueueName } from './fixture.js';

// Three `runstate worker` processes share 300 watches of every kind and outcome; one is SIGKILLed mid-run. The
// benchmark (bench/queue.ts) does the same with 10,000 watches and four workers.
const SPEED = 20;
const JOBS_PER_KIND = 100;

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});
afterAll(() => killLeftovers());

interface Planned {
  job: JobRef;
  outcome: Outcome;
  rounds: number;
}

describe('runstate/queue: worker processes', () => {
  it('ends every watch once, with one submission per round, when a worker is SIGKILLed mid-run', async () => {
    const origin = Date.now();
    const sim: Simulator = await startSimulator({ clock: createScaledClock(SPEED, origin), seed: 21 });
    cleanup.push(() => sim.close());
    const client = simClient(sim);
    const name = uniqueQueueName('kill');
    const runs: RunQueue = await createRunQueue({
      connection: REDIS,
      name,
      now: () => sim.clock.now(),
      speed: SPEED,
    });
    cleanup.push(async () => {
      await runs.obliterate();
      await runs.close();
    });
    const terminal = new Map<string, number>();
    const events = new QueueEvents(name, { connection: REDIS });
    events.on('completed', ({ jobId }) => terminal.set(jobId, (terminal.get(jobId) ?? 0) + 1));
    await events.waitUntilReady();
    cleanup.push(() => events.close());

    const workerArgs = [
      'worker',
      '--redis',
      `redis://${REDIS.host}:${REDIS.port}`,
      '--name',
      name,
      '--base-url',
      sim.baseURL,
    ];
    const clockArgs = [
      '--speed',
      String(SPEED),
      '--origin',
      String(origin),
      // Long enough that a loaded machine's event-loop lag does not let a live worker's lock expire (a stalled
      // job runs twice, and BullMQ fails one stalled twice); short enough that the killed worker's steps move on
      // within seconds.
      '--lock-ms',
      '4000',
      '--concurrency',
      '20',
    ];
    const workers = [0, 1, 2].map(() =>
      startCli(
        [...workerArgs, ...clockArgs, '--tools', 'test/queue/tools-module.ts'],
        cliEnv({ OPENAI_API_KEY: 'sim' }),
      ),
    );
    await Promise.all(workers.map((w) => w.waitFor('stdout', /worker ready/, 30_000)));

    const phases = {
      queued: 200,
      in_progress: [2_000, 8_000] as [number, number],
      validating: 300,
      finalizing: 300,
    };
    const planned: Planned[] = [];
    const responseOutcomes: Outcome[] = ['completed', 'failed', 'incomplete', 'cancelled'];
    for (let i = 0; i < JOBS_PER_KIND; i++) {
      const outcome = responseOutcomes[i % responseOutcomes.length]!;
      const r = await client.responses.create({
        model: 'gpt-4o-mini',
        input: 'hi',
        background: true,
        metadata: scenarioMeta({ phases, outcome }),
      });
      planned.push({ job: { kind: 'response', id: r.id }, outcome, rounds: 0 });

      const batchOutcome: Outcome = (['completed', 'failed', 'expired'] as const)[i % 3]!;
      const b = await client.batches.create({
        input_file_id: 'file-abc',
        endpoint: '/v1/responses',
        completion_window: '24h',
        metadata: scenarioMeta({
          phases,
          outcome: batchOutcome,
          anyInputFile: true,
          ...(batchOutcome === 'expired' ? { expiresAfterMs: 6_000 } : {}),
        }),
      });
      planned.push({ job: { kind: 'batch', id: b.id }, outcome: batchOutcome, rounds: 0 });

      const rounds = i % 3;
      const runScenario: Scenario = {
        phases,
        outcome: 'completed',
        toolCalls: Array.from({ length: rounds }, (_, k) => [
          { name: 'get_weather', arguments: { city: `c${k}` } },
        ]),
      };
      const { assistantId, threadId } = await assistantAndThread(client);
      const run = await client.beta.threads.runs.create(threadId, {
        assistant_id: assistantId,
        metadata: scenarioMeta(runScenario),
      });
      planned.push({
        job: { kind: 'assistants.run', threadId, runId: run.id },
        outcome: 'completed',
        rounds,
      });
    }
    await Promise.all(planned.map((p) => runs.watch(p.job)));
    const results = Promise.all(planned.map((p) => runs.result(p.job)));

    // Kill one worker once a quarter of the watches ended: it holds steps in flight.
    for (;;) {
      const counts = await runs.counts();
      if (counts.completed >= planned.length / 4) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    workers[0]!.child.kill('SIGKILL');
    const ends = await results;

    expect(ends.map((s) => s.state)).toEqual(planned.map((p) => p.outcome));
    // Counted once each by outcome, though the killed worker's steps ran again on another worker.
    const byOutcome = { ...NO_STATES };
    for (const p of planned) byOutcome[p.outcome]++;
    expect(await runs.counts()).toMatchObject({
      completed: planned.length,
      failed: 0,
      starting: 0,
      stopped: 0,
      errors: 0,
      byState: byOutcome,
    });
    // Each watch ended once: one terminal snapshot per job.
    await new Promise((r) => setTimeout(r, 200));
    expect([...terminal.values()].filter((n) => n !== 1)).toEqual([]);
    expect(terminal.size).toBe(planned.length);
    // One submission per round, none refused as a repeat.
    const submits = sim.stats().requests.byRoute['runs.submitToolOutputs'];
    expect(submits?.total ?? 0).toBe(planned.reduce((n, p) => n + p.rounds, 0));
    expect(submits?.byStatus['400'] ?? 0).toBe(0);
    for (const w of workers.slice(1)) w.child.kill('SIGTERM');
    const exits = await Promise.all(workers.slice(1).map((w) => w.exit));
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
  }, 90_000);
});
