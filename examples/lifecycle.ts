/**
 * One Assistants run on the simulator, start to finish, watched by runstate: create it, watch each change of state,
 * answer its tool call through a typed handler, read the reply. Run with `npx tsx examples/lifecycle.ts`.
 */
import OpenAI from 'openai';
import { z } from 'zod';
import { isRunstateError, tool, watchRun } from '../src/index.js';
import { startSimulator } from '../src/sim/index.js';
import { simScheduler } from '../src/sim/time/scheduler.js';

// Speed 20: the scripted ~6 s of run take ~0.3 s of wall time.
const sim = await startSimulator({
  clock: { speed: 20 },
  scenario: {
    phases: { queued: 500, in_progress: [1500, 2500] },
    toolCalls: [[{ name: 'get_weather', arguments: { city: 'Paris' } }]],
  },
});
const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim' });

try {
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini', name: 'weather' });
  const thread = await client.beta.threads.create({
    messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
  });
  const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
  const startedAt = sim.clock.now();
  const elapsed = (at: number) => `${((at - startedAt) / 1000).toFixed(1).padStart(5)} s`;

  const last = await new Promise<{ state: string; calls: number } | undefined>((resolve) => {
    let latest: { state: string; calls: number } | undefined;
    watchRun({
      client,
      job: { kind: 'assistants.run', threadId: thread.id, runId: run.id },
      // The watch runs on the simulator's clock, so its backoff keeps its real shape at 20× speed.
      scheduler: simScheduler(sim.clock),
      tools: {
        // The schema checks the model's arguments and types them; `call.id` is the tool call's id.
        get_weather: tool(z.object({ city: z.string() }), ({ city }, call) => {
          console.log(`         → get_weather(${city}) for ${call.id}`);
          return { city, celsius: 18, sky: 'sunny' };
        }),
      },
    }).subscribe({
      // s.job is the SDK's Run: the job's kind types it.
      next: (s) => {
        const calls = `${s.calls} call${s.calls === 1 ? '' : 's'}`;
        console.log(`${elapsed(s.at)}  ${s.state.padEnd(15)} status ${s.status ?? '-'}, ${calls}`);
        latest = s;
      },
      error: (error) => {
        console.error(isRunstateError(error) ? `${error.code}: ${error.message}` : error);
        resolve(undefined);
      },
      complete: () => resolve(latest),
    });
  });

  const [reply] = (await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data;
  const text = reply?.content[0]?.type === 'text' ? reply.content[0].text.value : '(no reply)';
  console.log(`\nassistant: ${text}`);
  const submissions = sim.stats().requests.byRoute['runs.submitToolOutputs']?.total ?? 0;
  console.log(
    `${last?.state}: the watch made ${last?.calls} calls (${sim.job(run.id)?.retrieves} retrieves, ${submissions} submission)`,
  );
} finally {
  await sim.close();
}
