// CPU per retrieve of watches polling the simulator (in another process), for bench/lib/overhead-telemetry.ts: run
// bundled as `node overhead-telemetry-cpu.mjs <mode> <baseURL> <ms>`; prints one JSON line. Modes:
// - off: `telemetry: false` (the baseline);
// - api: `@opentelemetry/api` installed, no SDK registered (the default for most users);
// - sdk: the real SDK registered, recording every span and metric to in-memory exporters.
// Only this process's CPU is measured (process.cpuUsage): the simulator's runs elsewhere.
// With `<ms>` written `n=<count>` instead, it runs until <count> retrieves have been answered and exits: the
// instruction-count rows run it so under callgrind at two counts, whose difference is the instructions per retrieve
// (start-up, module loading and the creates cancel out).
import { metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import type { Subscription } from 'rxjs';
import { poll, watchRun } from '../../src/index.js';
import { createIdleResponses } from './idle-responses.js';

const [mode = 'api', baseURL = '', duration = '6000'] = process.argv.slice(2);
const WATCHES = 20;
const WARMUP_MS = 1500;

let spans: InMemorySpanExporter | undefined;
if (mode === 'sdk') {
  spans = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    // Count mode runs under callgrind for minutes of wall time: an export per second would count the wall time.
    exportIntervalMillis: duration.startsWith('n=') ? 3_600_000 : 1000,
  });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
}

const target = duration.startsWith('n=') ? Number(duration.slice(2)) : undefined;
let requests = 0;
let answered = 0;
let creating = true;
const client = new OpenAI({
  baseURL,
  apiKey: 'sim',
  maxRetries: 0,
  // Counts requests the same way in every mode.
  fetch: async (url, init) => {
    requests++;
    const response = await fetch(url, init);
    if (!creating && target !== undefined && ++answered === target) {
      // Count mode: exit once the target's answer arrived (up to WATCHES others in flight, as at any count).
      queueMicrotask(() => {
        console.log(JSON.stringify({ mode, requests: answered }));
        process.exit(0);
      });
    }
    return response;
  },
});
const ids = await createIdleResponses(client, WATCHES);
creating = false;
const every = { initialDelayMs: 200, factor: 1, maxDelayMs: 200, jitter: 'none' } as const;
const subs: Subscription[] = ids.map((id) =>
  watchRun({
    client,
    job: { kind: 'response', id },
    source: poll(every),
    telemetry: mode !== 'off',
  }).subscribe(),
);
if (target !== undefined) await new Promise(() => {});
await new Promise((r) => setTimeout(r, WARMUP_MS));
const cpu0 = process.cpuUsage();
const requests0 = requests;
await new Promise((r) => setTimeout(r, Number(duration)));
const cpu = process.cpuUsage(cpu0);
const sent = requests - requests0;
for (const s of subs) s.unsubscribe();
console.log(
  JSON.stringify({
    mode,
    requests: sent,
    microsPerRetrieve: (cpu.user + cpu.system) / sent,
    spans: spans?.getFinishedSpans().length ?? 0,
  }),
);
process.exit(0);
