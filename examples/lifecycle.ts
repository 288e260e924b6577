/**
 * One Assistants run on the simulator, start to finish: create, watch the status change, answer the tool
 * call, read the reply. Run with `npx tsx examples/lifecycle.ts`.
 */
import OpenAI from 'openai';
import { startSimulator } from '../src/sim/index.js';

// Speed 20: the scripted ~6 s of run take ~0.3 s of wall time.
const sim = await startSimulator({
  clock: { speed: 20 },
  scenario: {
    phases: { queued: 500, in_progress: [1500, 2500] },
    toolCalls: [[{ name: 'get_weather', arguments: { city: 'Paris' } }]],
  },
});
const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim' });
const tools: Record<string, (args: Record<string, unknown>) => string> = {
  get_weather: ({ city }) => JSON.stringify({ city, celsius: 18, sky: 'sunny' }),
};

try {
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini', name: 'weather' });
  const thread = await client.beta.threads.create({
    messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
  });
  let run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
  const startedAt = sim.clock.now();
  let last = '';
  while (!['completed', 'failed', 'cancelled', 'expired', 'incomplete'].includes(run.status)) {
    if (run.status !== last) {
      console.log(`${((sim.clock.now() - startedAt) / 1000).toFixed(1).padStart(5)} s  ${run.status}`);
      last = run.status;
    }
    if (run.status === 'requires_action' && run.required_action) {
      const calls = run.required_action.submit_tool_outputs.tool_calls;
      const tool_outputs = calls.map((call) => ({
        tool_call_id: call.id,
        output: tools[call.function.name]?.(JSON.parse(call.function.arguments)) ?? 'unknown tool',
      }));
      console.log(`         → ${calls.map((c) => `${c.function.name}(${c.function.arguments})`).join(', ')}`);
      run = await client.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs });
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
    run = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
  }
  console.log(`${((sim.clock.now() - startedAt) / 1000).toFixed(1).padStart(5)} s  ${run.status}`);
  const [reply] = (await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data;
  const text = reply?.content[0]?.type === 'text' ? reply.content[0].text.value : '(no reply)';
  console.log(`\nassistant: ${text}`);
  const stats = sim.job(run.id);
  console.log(`retrieves: ${stats?.retrieves}, requests: ${sim.stats().requests.total}`);
} finally {
  await sim.close();
}
