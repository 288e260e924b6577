import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** The real OpenTelemetry SDK, registered globally, recording to in-memory exporters. */
export interface TestOtel {
  spans(): ReadableSpan[];
  /** Collects now and returns every data point of `name` (cumulative). */
  points(name: string): Promise<DataPoint<number | Histogram>[]>;
  /** The sum of a counter's points whose attributes include `where`. */
  sum(name: string, where?: Record<string, string>): Promise<number>;
  /** How many values a histogram recorded, over its points whose attributes include `where`. */
  count(name: string, where?: Record<string, string>): Promise<number>;
  shutdown(): Promise<void>;
}

/** Registers a tracer provider, a meter provider and an AsyncLocalStorage context manager; undo with `shutdown`. */
export function registerTestOtel(): TestOtel {
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // The interval is never reached: points are collected on demand with forceFlush.
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);

  const points = async (name: string) => {
    metricExporter.reset();
    await reader.forceFlush();
    const last = metricExporter.getMetrics().at(-1);
    const found = last?.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
    return (found?.dataPoints ?? []) as DataPoint<number | Histogram>[];
  };
  const matching = async (name: string, where: Record<string, string>) =>
    (await points(name)).filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v));
  return {
    spans: () => spanExporter.getFinishedSpans(),
    points,
    sum: async (name, where = {}) =>
      (await matching(name, where)).reduce((n, p) => n + (p.value as number), 0),
    count: async (name, where = {}) =>
      (await matching(name, where)).reduce((n, p) => n + (p.value as Histogram).count, 0),
    shutdown: async () => {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
}
