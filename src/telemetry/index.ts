/**
 * runstate/telemetry: what runstate records through `@opentelemetry/api` (an optional peer) and the logger it
 * writes to. The library never installs an SDK: register yours (NodeSDK with OTLP, or a MeterProvider with the
 * Prometheus exporter) and runstate's spans and metrics appear; see docs/observability.md.
 */
export { INSTRUMENTATION_SCOPE } from './instruments.js';
export type { LogEvent, Logger } from './logger.js';
export { currentTraceparent } from './queue-telemetry.js';
export type { TelemetryOptions } from './watch-telemetry.js';
