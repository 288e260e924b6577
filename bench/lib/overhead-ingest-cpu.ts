// CPU per delivery of each step of the hub's ingest path, in-process and without HTTP (for bench/overhead.ts):
// the layered endpoints measure throughput, which is noisy on a shared machine; this says which step costs what.
import OpenAI from 'openai';
import { signWebhook } from '../../src/sim/index.js';
import { memoryIdempotencyStore } from '../../src/webhooks/idempotency.js';
import { createReceiver } from '../../src/webhooks/receive.js';
import { createJobRouter } from '../../src/webhooks/router.js';
import { createWebhookCounters } from '../../src/webhooks/stats.js';
import { createWebhookVerifier } from '../../src/webhooks/verify.js';

/** One step and its CPU time per delivery, in µs. */
export interface StepCost {
  step: string;
  micros: number;
}

/**
 * Runs each step once per delivery of `n` (sequentially, awaited), in chunks of 500 that alternate between the
 * steps; the median chunk per step.
 */
export async function ingestCpuBreakdown(secret: string, n: number): Promise<StepCost[]> {
  const now = Math.floor(Date.now() / 1000);
  const deliveries = Array.from({ length: n }, (_, i) => {
    const id = `wh_cpu_${i}`;
    const body = JSON.stringify({
      id: `evt_cpu_${i}`,
      object: 'event',
      type: 'response.completed',
      created_at: now,
      data: { id: `resp_cpu_${i}` },
    });
    // What node:http hands a handler as req.headers for such a request.
    const headers: Record<string, string> = {
      host: '127.0.0.1:8080',
      connection: 'keep-alive',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'webhook-id': id,
      'webhook-timestamp': String(now),
      'webhook-signature': signWebhook(secret, id, now, body),
    };
    return { body, headers };
  });
  const toHeaders = (plain: Record<string, string>) => {
    const h = new Headers();
    for (const [name, value] of Object.entries(plain)) h.set(name, value);
    return h;
  };
  const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1' });
  const verify = createWebhookVerifier({ secrets: [secret] });
  // Every step sees each delivery once, so the receiver's store never meets a duplicate.
  const receive = createReceiver({
    verify,
    store: memoryIdempotencyStore(),
    maxBodyBytes: 1024 * 1024,
    counters: createWebhookCounters(),
  });
  const router = createJobRouter({ bufferMs: 5 * 60_000, bufferMax: 1000, now: Date.now });
  const events = await Promise.all(deliveries.map((d) => verify(d.body, toHeaders(d.headers))));

  const steps: [string, (i: number) => unknown][] = [
    [
      '`client.webhooks.unwrap(body, req.headers, secret)` (plain object: the bare endpoint)',
      (i) => client.webhooks.unwrap(deliveries[i]!.body, deliveries[i]!.headers, secret),
    ],
    ['copy `req.headers` into a Fetch `Headers` (node adapter)', (i) => toHeaders(deliveries[i]!.headers)],
    [
      '`unwrap` given that `Headers` instead',
      (i) => client.webhooks.unwrap(deliveries[i]!.body, toHeaders(deliveries[i]!.headers), secret),
    ],
    [
      "the hub's verifier (`Headers` copy + checks + `unwrap` + event shape)",
      (i) => verify(deliveries[i]!.body, toHeaders(deliveries[i]!.headers)),
    ],
    [
      "the hub's receiver (method, size, verifier, idempotency claim)",
      (i) => {
        const d = deliveries[i]!;
        return receive({
          method: 'POST',
          headers: toHeaders(d.headers),
          readBody: () => Promise.resolve(d.body),
        });
      },
    ],
    ['routing one event (held for late watches)', (i) => router.route(`resp_cpu_${i}`, events[i]!)],
  ];
  // Chunks outside, steps inside, median chunk per step: load from other processes drifts over seconds, and this
  // way it touches every step alike.
  const CHUNK = 500;
  const samples: number[][] = steps.map(() => []);
  for (let from = 0; from + CHUNK <= n; from += CHUNK) {
    for (const [k, [, run]] of steps.entries()) {
      const started = performance.now();
      for (let i = from; i < from + CHUNK; i++) await run(i);
      samples[k]!.push(((performance.now() - started) * 1000) / CHUNK);
    }
  }
  const costs: StepCost[] = steps.map(([step], k) => {
    const sorted = [...samples[k]!].sort((a, b) => a - b);
    return { step, micros: sorted[Math.floor(sorted.length / 2)]! };
  });
  return costs;
}

// Run bundled (bench/overhead.ts does: `node overhead-ingest-cpu.mjs <secret> <n>`): prints the steps as JSON.
if (process.argv[1]?.endsWith('overhead-ingest-cpu.mjs')) {
  console.log(JSON.stringify(await ingestCpuBreakdown(process.argv[2]!, Number(process.argv[3]))));
}
