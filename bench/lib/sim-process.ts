// The simulator of the benchmarks, in a child process so that it has its own CPU (as OpenAI's servers would):
// started by startSimProcess (sim-handle.ts) with `fork(this file, [origin, speed, seed, scenario JSON])`, it
// answers { id, op } messages with { id, result }.

import { type SimFaults, startSimulator } from '../../src/sim/index.js';
import type { Scenario } from '../../src/sim/scenario/scenario.js';
import { createScaledClock } from '../../src/sim/time/clock.js';

/** What the benchmark asks of the simulator process. */
export type SimOp = { op: 'faults'; faults: SimFaults } | { op: 'stats' } | { op: 'close' };
/** A request, with its id for the answer. */
export type SimRequest = SimOp & { id: number };

/** What `stats` answers: the counters the benchmark reports, and each job's end. */
export interface SimReport {
  now: number;
  requests: number;
  retrieves: number;
  rateLimited: number;
  jobs: Record<string, { status: string; endedAt: number | null; retrieves: number }>;
}

const [origin, speed, seed, scenario] = process.argv.slice(2);
const sim = await startSimulator({
  clock: createScaledClock(Number(speed), Number(origin)),
  seed: Number(seed),
  scenario: JSON.parse(scenario!) as Scenario,
});

process.on('message', async (message: SimRequest) => {
  const reply = (result: unknown) => process.send!({ id: message.id, result });
  switch (message.op) {
    case 'faults':
      sim.setFaults(message.faults);
      reply(null);
      return;
    case 'stats': {
      const stats = sim.stats();
      const jobs: SimReport['jobs'] = {};
      for (const [id, job] of Object.entries(stats.jobs))
        jobs[id] = { status: job.status, endedAt: job.endedAt, retrieves: job.retrieves };
      const report: SimReport = {
        now: stats.now,
        requests: stats.requests.total,
        retrieves: stats.requests.byRoute['responses.retrieve']?.total ?? 0,
        rateLimited: stats.rateLimited,
        jobs,
      };
      reply(report);
      return;
    }
    case 'close':
      await sim.close();
      reply(null);
      process.disconnect();
      return;
  }
});
process.send!({ ready: true, baseURL: sim.baseURL });
