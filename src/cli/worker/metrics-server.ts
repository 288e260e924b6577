import type { IncomingMessage, ServerResponse } from 'node:http';
import * as api from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { provideOtelApi } from '../../telemetry/otel-api.js';
import { type Listening, serve } from '../http-server.js';

/** What `/readyz` asks: whether the worker can do its work now. */
export type ReadinessCheck = () => Promise<{ ready: boolean; reason?: string }>;

/** The worker's operator endpoints, and the metrics SDK behind `/metrics`. */
export interface MetricsServer extends Listening {
  /** Flushes and stops the metrics SDK, then the server. */
  close(): Promise<void>;
}

/**
 * Installs the OpenTelemetry metrics SDK for this process (the CLI's own: the library never does), with the
 * Prometheus exporter as its reader, and serves on `host:port`:
 * - `/metrics`: every runstate (and BullMQ, if asked) metric in Prometheus text;
 * - `/healthz`: 200 while the process is up;
 * - `/readyz`: 200 when `ready` says so, else 503 with the reason.
 */
export async function startMetricsServer(options: {
  port: number;
  host?: string;
  ready: ReadinessCheck;
}): Promise<MetricsServer> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  // The CLI is one bundle: hand the library this copy of the API, which it could not `require` on its own.
  provideOtelApi(api);
  api.metrics.setGlobalMeterProvider(provider);
  const text = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'GET only\n');
    if (path === '/metrics') return exporter.getMetricsRequestHandler(req, res);
    if (path === '/healthz') return text(res, 200, 'ok\n');
    if (path === '/readyz') {
      options.ready().then(
        ({ ready, reason }) => text(res, ready ? 200 : 503, ready ? 'ready\n' : `not ready: ${reason}\n`),
        (error: unknown) => text(res, 503, `not ready: ${(error as Error).message}\n`),
      );
      return;
    }
    text(res, 404, 'not found: try /metrics, /healthz or /readyz\n');
  };
  const listening = await serve(handler, {
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
  });
  return {
    ...listening,
    async close() {
      await listening.close();
      await provider.shutdown().catch(() => {});
      api.metrics.disable();
    },
  };
}
