// A worker process for queue-trace.redis.process.test.ts: the real OpenTelemetry SDK with an in-memory exporter,
// a runstate worker on the queue the test names, and on SIGTERM its finished spans written to OUT as JSON.
import { writeFileSync } from 'node:fs';
import OpenAI from 'openai';
import { createRunWorker } from '../../src/queue/index.js';
import { registerTestOtel } from '../helpers/otel.js';

const { QUEUE, BASE_URL, SPEED, ORIGIN, OUT } = process.env as Record<string, string>;
const otel = registerTestOtel();
const speed = Number(SPEED);
const origin = Number(ORIGIN);
const startedWall = origin;
const worker = await createRunWorker({
  connection: { host: '127.0.0.1', port: 6379 },
  name: QUEUE!,
  client: new OpenAI({ baseURL: BASE_URL, apiKey: 'sim', maxRetries: 0 }),
  concurrency: 1,
  speed,
  // The simulator's scaled clock: origin + (wall − origin) × speed.
  now: () => origin + (Date.now() - startedWall) * speed,
});
process.stdout.write('traced worker ready\n');
process.on('SIGTERM', async () => {
  await worker.close();
  const spans = otel.spans().map((s) => ({
    name: s.name,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    links: s.links.map((l) => l.context.spanId),
    attributes: s.attributes,
  }));
  writeFileSync(OUT!, JSON.stringify({ pid: process.pid, spans }));
  await otel.shutdown();
  process.exit(0);
});
