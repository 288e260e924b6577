// A worker process for bench/queue.ts's idle phase: a runstate/queue worker that answers the parent (over IPC)
// with its heap after a full GC, its CPU time and its steps, and that can time plain retrieves with the same
// client, so the CPU a step spends beyond its retrieve can be told apart. Run with node --expose-gc.
import OpenAI from 'openai';
import { createRunWorker } from '../../src/queue/index.js';

const [name, baseURL, port = '6379'] = process.argv.slice(2) as [string, string, string?];
const client = new OpenAI({ baseURL, apiKey: 'sim', maxRetries: 0 });
const worker = await createRunWorker({
  connection: { host: '127.0.0.1', port: Number(port) },
  name,
  client,
  concurrency: 200,
  // After its first step each watch sleeps an hour: it is idle (delayed) while the parent measures, even at
  // 100,000 watches, whose first steps take longer than ten minutes on a loaded machine.
  poll: { initialDelayMs: 3_600_000, maxDelayMs: 3_600_000 },
});

type Ask = { type: 'measure' } | { type: 'retrieve'; ids: string[] } | { type: 'close' };

// CPU spent in the full collections the parent asks for (for the heap figure): a bench artifact, not a step's.
let forcedGcUs = 0;

process.on('message', async (ask: Ask) => {
  if (ask.type === 'measure') {
    const before = process.cpuUsage();
    (globalThis as { gc?: () => void }).gc?.();
    const cpu = process.cpuUsage();
    forcedGcUs += cpu.user + cpu.system - (before.user + before.system);
    process.send!({
      heapUsed: process.memoryUsage().heapUsed,
      cpuUs: cpu.user + cpu.system - forcedGcUs,
      steps: worker.stats().steps,
    });
  } else if (ask.type === 'retrieve') {
    // The same reads the steps made, with the same client and concurrency, and nothing else.
    const before = process.cpuUsage();
    for (let i = 0; i < ask.ids.length; i += 200) {
      await Promise.all(ask.ids.slice(i, i + 200).map((id) => client.responses.retrieve(id)));
    }
    const cpu = process.cpuUsage(before);
    process.send!({ cpuUs: cpu.user + cpu.system });
  } else {
    await worker.close();
    process.exit(0);
  }
});
process.send!({ ready: true });
