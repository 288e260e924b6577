import type { Counter, Histogram, Tracer, UpDownCounter } from '@opentelemetry/api';
import { type OtelApi, otelApi } from './otel-api.js';

/** The instrumentation scope runstate's tracer and meter are named by (the package's name and version). */
export const INSTRUMENTATION_SCOPE = { name: 'runstate', version: '0.1.0' } as const;

/** Buckets in seconds for every duration histogram: a retrieve's tens of ms up to a batch's day. */
const SECONDS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600,
  86400,
];

/** runstate's tracer and metric instruments, built once per registered SDK. */
export interface Instruments {
  readonly api: OtelApi;
  readonly tracer: Tracer;
  /** Whether a tracing SDK is registered (without one, no span is started at all). */
  readonly tracing: boolean;
  readonly requests: Counter;
  readonly watchesActive: UpDownCounter;
  readonly watchesEnded: Counter;
  readonly watchDuration: Histogram;
  readonly detectionDelay: Histogram;
  readonly webhookDeliveries: Counter;
  readonly toolCalls: Counter;
  readonly toolDuration: Histogram;
  readonly budgetWait: Histogram;
  readonly stepDuration: Histogram;
  readonly stepLateness: Histogram;
}

let cached: { meter: unknown; tracing: boolean; instruments: Instruments } | undefined;

// Loaded with runstate rather than by the first watch: a synchronous require (tens of ms on a loaded machine) would
// otherwise delay that watch's first request.
otelApi();

/** Whether the global tracer provider has an SDK behind it: the API's proxy answers undefined until one is set. */
function hasTracingSdk(api: OtelApi): boolean {
  const provider = api.trace.getTracerProvider() as { getDelegateTracer?: (name: string) => unknown };
  if (typeof provider.getDelegateTracer !== 'function') return true;
  return provider.getDelegateTracer(INSTRUMENTATION_SCOPE.name) !== undefined;
}

/**
 * runstate's instruments, or undefined when there is nothing to record to: no `@opentelemetry/api` installed, or
 * neither a tracing nor a metrics SDK registered. Callers then skip every span and measurement, which keeps an
 * uninstrumented watch exactly as light as before. Rebuilt when the application registers another SDK.
 */
export function instruments(): Instruments | undefined {
  const api = otelApi();
  if (!api) return undefined;
  const { name, version } = INSTRUMENTATION_SCOPE;
  const meter = api.metrics.getMeter(name, version);
  const tracing = hasTracingSdk(api);
  // With no SDK the API hands out its one no-op meter.
  if (!tracing && meter === api.createNoopMeter()) return undefined;
  if (cached && cached.meter === meter && cached.tracing === tracing) return cached.instruments;
  const seconds = (description: string) =>
    meter.createHistogram(description.split(' ')[0] as string, {
      unit: 's',
      description: description.slice(description.indexOf(' ') + 1),
      advice: { explicitBucketBoundaries: SECONDS },
    });
  const built: Instruments = {
    api,
    tracer: api.trace.getTracer(name, version),
    tracing,
    requests: meter.createCounter('runstate.requests', {
      description:
        'HTTP requests to the API, retries included, by kind, route and outcome (ok, 429, 5xx, network, 4xx)',
    }),
    watchesActive: meter.createUpDownCounter('runstate.watches.active', {
      description: 'Watches running now, by kind and state',
    }),
    watchesEnded: meter.createCounter('runstate.watches.ended', {
      description: 'Watches ended, by kind and outcome (a terminal state, stopped or error)',
    }),
    watchDuration: seconds('runstate.watch.duration How long a watch ran, by kind and outcome'),
    detectionDelay: seconds(
      "runstate.detection.delay From the job's own end time (completed_at, failed_at, ...) to the terminal snapshot",
    ),
    webhookDeliveries: meter.createCounter('runstate.webhook.deliveries', {
      description: 'Webhook deliveries received, by result (accepted, duplicate, or the refusal reason)',
    }),
    toolCalls: meter.createCounter('runstate.tool.calls', {
      description: 'Tool handler runs, by tool and outcome (ok, error)',
    }),
    toolDuration: seconds('runstate.tool.duration How long a tool handler ran, by tool and outcome'),
    budgetWait: seconds('runstate.budget.wait How long a request waited for the shared budget'),
    stepDuration: seconds('runstate.queue.step.duration How long one durable step took, by kind and result'),
    stepLateness: seconds('runstate.queue.step.lateness How late a durable step ran after it was due'),
  };
  cached = { meter, tracing, instruments: built };
  return built;
}
