import type OpenAI from 'openai';
import type { JobRef } from '../../src/index.js';
import type { Scenario, Simulator } from '../../src/sim/index.js';
import { createAgentSession } from '../helpers/agent-session.js';
import { createEvalRun, createFileBatch, createFineTune } from '../helpers/more-kinds.js';
import { assistantAndThread, scenarioMeta, simClient } from '../helpers/sim.js';

/** Quick phases (clock ms): a job ends about 2 s after its creation. */
export const QUICK: Scenario['phases'] = {
  queued: 200,
  in_progress: 1500,
  validating: 300,
  finalizing: 300,
  cancelling: 300,
};

/** Creates one job of `kind` on the simulator, scripted by `scenario`, and returns its JobRef. */
export async function createJob(client: OpenAI, kind: JobRef['kind'], scenario: Scenario): Promise<JobRef> {
  const metadata = scenarioMeta(scenario);
  if (kind === 'fine_tuning.job') return createFineTune(client, scenario);
  if (kind === 'eval.run') return createEvalRun(client, scenario);
  if (kind === 'vector_store.file_batch') return createFileBatch(client, scenario);
  if (kind === 'agent.session') {
    const session = await createAgentSession(client, {
      environment: { type: 'none' },
      input: 'hi',
      metadata,
    });
    return { kind, sessionId: session.id };
  }
  if (kind === 'assistants.run') {
    const { assistantId, threadId } = await assistantAndThread(client);
    const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId, metadata });
    return { kind, threadId, runId: run.id };
  }
  if (kind === 'response') {
    const r = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'hi',
      background: true,
      metadata,
    });
    return { kind, id: r.id };
  }
  const b = await client.batches.create({
    input_file_id: 'file-abc',
    endpoint: '/v1/responses',
    completion_window: '24h',
    metadata: scenarioMeta({ anyInputFile: true, ...scenario }),
  });
  return { kind, id: b.id };
}

/** One HTTP exchange as the client saw it, in simulator clock ms. */
export interface Exchange {
  method: string;
  path: string;
  sentAt: number;
  answeredAt: number;
}

/** A client whose every request is logged (with the simulator's time), to check what was in flight when. */
export function loggingClient(sim: Simulator): { client: OpenAI; log: Exchange[] } {
  const log: Exchange[] = [];
  const client = simClient(sim, {
    fetch: async (url: RequestInfo | URL, init?: RequestInit) => {
      const sentAt = sim.clock.now();
      const response = await fetch(url, init);
      log.push({
        method: init?.method ?? 'GET',
        path: new URL(String(url)).pathname,
        sentAt,
        answeredAt: sim.clock.now(),
      });
      return response;
    },
  });
  return { client, log };
}

/** The most jobs whose retrieves overlap in time: each job spans its first retrieve sent to its last answered. */
export function maxOverlap(log: readonly Exchange[], ids: readonly string[]): number {
  const spans = ids
    .map((id) => log.filter((e) => e.method === 'GET' && e.path.endsWith(`/${id}`)))
    .filter((exchanges) => exchanges.length > 0)
    .map((exchanges) => ({
      from: Math.min(...exchanges.map((e) => e.sentAt)),
      to: Math.max(...exchanges.map((e) => e.answeredAt)),
    }));
  return Math.max(0, ...spans.map((s) => spans.filter((o) => o.from <= s.from && s.from <= o.to).length));
}
