import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRunQueue } from '../../../src/queue/index.js';
import { startSimulator } from '../../../src/sim/index.js';
import { createScaledClock } from '../../../src/sim/time/clock.js';
import { createAgentSession } from '../../helpers/agent-session.js';
import { scenarioMeta, simClient } from '../../helpers/sim.js';
import { REDIS, uniqueQueueName } from '../../queue/fixture.js';
import { cliEnv, killLeftovers, startCli } from '../run-cli.js';

// `runstate worker --approvals MODULE`: a worker process decides an agent session's approvals with the module's
// handler, once per request id.
const SPEED = 20;

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});
afterAll(() => killLeftovers());

describe('runstate worker --approvals', () => {
  it("answers a session's approvals with the module's decisions, each once", async () => {
    const origin = Date.now();
    const sim = await startSimulator({ clock: createScaledClock(SPEED, origin), seed: 4 });
    cleanup.push(() => sim.close());
    const client = simClient(sim);
    const name = uniqueQueueName('cli-approvals');
    const runs = await createRunQueue({ connection: REDIS, name, now: () => sim.clock.now(), speed: SPEED });
    cleanup.push(async () => {
      await runs.obliterate();
      await runs.close();
    });
    const worker = startCli(
      [
        'worker',
        '--redis',
        `redis://${REDIS.host}:${REDIS.port}`,
        '--name',
        name,
        '--base-url',
        sim.baseURL,
        '--speed',
        String(SPEED),
        '--origin',
        String(origin),
        '--approvals',
        'test/queue/approvals-module.ts',
      ],
      cliEnv({ OPENAI_API_KEY: 'sim' }),
    );
    cleanup.push(async () => {
      worker.child.kill('SIGTERM');
      await worker.exit;
    });
    await worker.waitFor('stdout', /worker ready/, 30_000);
    const session = await createAgentSession(client, {
      environment: { type: 'none' },
      input: 'Clean up',
      metadata: scenarioMeta({
        phases: { in_progress: 1000 },
        toolCalls: [
          [
            { name: 'delete_branch', type: 'mcp_approval' },
            { name: 'https://example.com', type: 'computer_use_approval' },
          ],
        ],
        outcome: 'completed',
      }),
    });
    const job = { kind: 'agent.session' as const, sessionId: session.id };
    await runs.watch(job);
    const last = await runs.result(job);
    expect(last).toMatchObject({ state: 'completed', status: 'completed' });
    expect(sim.job(session.id)?.answers).toEqual([
      expect.objectContaining({ response: { type: 'mcp_tool_call', decision: 'approve' } }),
      expect.objectContaining({ response: { type: 'browser_origin_access', decision: 'deny' } }),
    ]);
  }, 60_000);
});
