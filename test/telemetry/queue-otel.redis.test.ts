// The durable queue under the real OpenTelemetry SDK (in-memory exporters), real Redis and the simulator over HTTP:
// BullMQ's own telemetry passed through from createRunQueue/createRunWorker, and tool handlers run inside a step
// recorded as `execute_tool` spans in the step's trace.
import { SpanKind, trace } from '@opentelemetry/api';
import { BullMQOtel } from 'bullmq-otel';
import { afterEach, describe, expect, it } from 'vitest';
import { registerTestOtel, type TestOtel } from '../helpers/otel.js';
import { type QueueFixture, queueFixture } from '../queue/fixture.js';

const quick = { queued: 200, in_progress: 1500 };
let f: QueueFixture | undefined;
let otel: TestOtel | undefined;
afterEach(async () => {
  await f?.close();
  await otel?.shutdown();
  f = undefined;
  otel = undefined;
});

describe('runstate/queue with OpenTelemetry', () => {
  it("passes BullMQ's telemetry option through: its producer and consumer spans and bullmq.* metrics are recorded", async () => {
    otel = registerTestOtel();
    // Built after the SDK is registered: BullMQOtel takes its tracer and meter from the global providers.
    const bullmqTelemetry = new BullMQOtel({
      tracerName: 'bullmq',
      meterName: 'bullmq',
      enableMetrics: true,
    });
    f = await queueFixture('bullmq-otel', { queue: { bullmqTelemetry } });
    await f.addWorker({ bullmqTelemetry });
    const job = await f.createResponse({ phases: quick, outcome: 'completed' });
    await trace.getTracer('test').startActiveSpan('POST /jobs', async (span) => {
      await f!.runs.watch(job);
      span.end();
    });
    expect((await f.runs.result(job)).state).toBe('completed');
    // BullMQ ends its process span and counts the job completed after the processor returned, which is after the
    // result is readable: closing the worker waits for that.
    await f.workers[0]!.close();

    const spans = otel.spans();
    const bull = spans.filter((s) => s.instrumentationScope.name === 'bullmq');
    // BullMQ names its spans `<operation> <destination>`: the add of the watch's job, and each step's process.
    const adds = bull.filter((s) => s.name.startsWith(`add ${f!.name}.`));
    const processes = bull.filter((s) => s.name === `process ${f!.name}`);
    expect(adds.length).toBe(1);
    const caller = spans.find((s) => s.name === 'POST /jobs')!;
    expect(adds[0]!.spanContext().traceId).toBe(caller.spanContext().traceId);
    // A process span for every step of the watch (a step may wait in place for a short phase, so one can be all).
    const steps = spans.filter((s) => s.name === 'runstate.step');
    expect(steps.length).toBeGreaterThanOrEqual(1);
    expect(processes.length).toBeGreaterThanOrEqual(steps.length);
    expect(processes.every((s) => s.kind === SpanKind.CONSUMER)).toBe(true);
    // BullMQ's metrics, on the same meter provider as runstate's: the one watch's job completed once.
    const queue = { 'bullmq.queue.name': f.name };
    expect(await otel.sum('bullmq.jobs.completed', queue)).toBe(1);
    // BullMQ records a duration at every move of the job (a step that sleeps moves it to delayed): one of them
    // at completion.
    const completed = { ...queue, 'bullmq.job.state': 'completed' };
    expect(await otel.count('bullmq.job.duration', completed)).toBe(1);
    expect(await otel.count('bullmq.job.duration', queue)).toBe(processes.length);
  });

  it('records each tool handler run inside a step as execute_tool with its call id, in the trace of watch()', async () => {
    otel = registerTestOtel();
    f = await queueFixture('tool-spans');
    const seen: string[] = [];
    await f.addWorker({
      tools: {
        get_weather: (args, call) => {
          seen.push(call.id);
          // The handler runs inside its span: what it traces itself nests under it.
          trace.getTracer('handler').startSpan('lookup').end();
          return { city: (args as { city: string }).city, sky: 'clear' };
        },
      },
    });
    const job = await f.createRun({
      phases: quick,
      toolCalls: [
        [{ name: 'get_weather', arguments: { city: 'Paris' } }],
        [{ name: 'get_weather', arguments: { city: 'Oslo' } }],
      ],
      outcome: 'completed',
    });
    const callerTrace = await trace.getTracer('test').startActiveSpan('POST /jobs', async (span) => {
      await f!.runs.watch(job);
      span.end();
      return span.spanContext().traceId;
    });
    expect((await f.runs.result(job)).state).toBe('completed');

    const spans = otel.spans();
    const tools = spans.filter((s) => s.name === 'execute_tool get_weather');
    expect(tools.map((s) => s.attributes['gen_ai.tool.call.id']).sort()).toEqual([...seen].sort());
    expect(seen).toHaveLength(2);
    const steps = new Map(
      spans.filter((s) => s.name === 'runstate.step').map((s) => [s.spanContext().spanId, s]),
    );
    for (const tool of tools) {
      expect(tool.attributes['gen_ai.operation.name']).toBe('execute_tool');
      expect(tool.attributes).not.toHaveProperty('gen_ai.tool.call.arguments');
      expect(tool.spanContext().traceId).toBe(callerTrace);
      // A child of the step that ran it.
      expect(steps.has(tool.parentSpanContext!.spanId)).toBe(true);
      const lookup = spans.find(
        (s) => s.name === 'lookup' && s.parentSpanContext?.spanId === tool.spanContext().spanId,
      );
      expect(lookup).toBeDefined();
    }
    expect(await otel.sum('runstate.tool.calls', { tool: 'get_weather', outcome: 'ok' })).toBe(2);
  });

  it("puts the queue's durable watches in runstate.watches.active once, whichever worker reports them", async () => {
    otel = registerTestOtel();
    f = await queueFixture('gauge');
    // Two workers in this process, on one meter: were both to report the queue's watches, the sum would double.
    await f.addWorker({ watchesGaugeIntervalMs: 50 });
    await f.addWorker({ watchesGaugeIntervalMs: 50 });
    const jobs = [];
    for (let i = 0; i < 3; i++) {
      const job = await f.createResponse({
        phases: { queued: 0, in_progress: 3_600_000 },
        outcome: 'completed',
      });
      await f.runs.watch(job);
      jobs.push(job);
    }
    const active = (state: string) => otel!.sum('runstate.watches.active', { kind: 'response', state });
    await until(
      'the tally sees 3 in progress',
      async () => (await f!.runs.counts()).byState.in_progress === 3,
    );
    await until('the gauge shows 3 in progress', async () => (await active('in_progress')) === 3);
    // Ticks later, still the tally's number (no second worker adding its own), and nothing left in queued.
    await new Promise((r) => setTimeout(r, 400));
    expect(await active('in_progress')).toBe(3);
    expect(await active('queued')).toBe(0);
    expect((await f.runs.counts()).byState.in_progress).toBe(3);

    // A worker closes: if it held the lease, it takes its numbers back and the other takes over.
    await f.workers[0]!.close();
    await until('the other worker reports 3', async () => (await active('in_progress')) === 3);

    for (const job of jobs) await f.runs.cancel(job);
    await until(
      'the gauge back at 0 once every watch stopped',
      async () => (await active('in_progress')) === 0,
    );
    expect((await f.runs.counts()).stopped).toBe(3);
  });
});

/** Polls `ok` until true (real Redis and workers move on their own time); fails after `timeoutMs`. */
async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}
