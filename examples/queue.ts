/**
 * Durable watches on BullMQ: a queue that any process can watch and observe from, and two workers that step
 * the watches. Needs Redis on 127.0.0.1:6379. Run with `npx tsx examples/queue.ts`.
 */
import OpenAI from 'openai';
import { createRunQueue, createRunWorker } from '../src/queue/index.js';
import { startSimulator } from '../src/sim/index.js';

const speed = 20; // the simulator's "3 s" job takes 150 ms
const sim = await startSimulator({
  clock: { speed },
  scenario: {
    phases: { queued: 300, in_progress: [2000, 6000] },
    toolCalls: [[{ name: 'get_weather', arguments: { city: 'Paris' } }]],
  },
});
const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim' });
const connection = { host: '127.0.0.1', port: 6379 };
const name = `runstate-example-${process.pid}`;
// The workers and the queue keep the simulator's time; against the API, leave `now` and `speed` out.
const clock = { now: () => sim.clock.now(), speed };

const runs = await createRunQueue({ connection, name, ...clock });
const workers = await Promise.all(
  [1, 2].map(() =>
    createRunWorker({
      connection,
      name,
      client,
      rpm: 600,
      ...clock,
      // Handlers get the call id: make them idempotent (a worker that dies inside one leaves it to run again).
      tools: {
        get_weather: (args, call) => JSON.stringify({ ...(args as object), sky: 'clear', call: call.id }),
      },
    }),
  ),
);

try {
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini', name: 'weather' });
  const jobs = [];
  for (let i = 0; i < 3; i++) {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Weather?' }] });
    const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    jobs.push({ kind: 'assistants.run' as const, threadId: thread.id, runId: run.id });
  }
  // watch() is idempotent by job: calling it twice (from two web servers, say) makes one watch.
  await Promise.all(jobs.map((job) => runs.watch(job)));
  await Promise.all(jobs.map((job) => runs.watch(job)));
  // observe() works from any process: the current snapshot first, then each change.
  await Promise.all(
    jobs.map(
      (job) =>
        new Promise<void>((resolve, reject) =>
          runs.observe(job).subscribe({
            next: (s) => console.log(`${s.id}  ${s.state.padEnd(16)} calls ${s.calls}`),
            error: reject,
            complete: resolve,
          }),
        ),
    ),
  );
  console.log(await runs.counts());
} finally {
  await Promise.all(workers.map((w) => w.close()));
  await runs.obliterate();
  await runs.close();
  await sim.close();
}
