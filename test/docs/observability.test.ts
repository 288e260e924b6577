import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { instruments } from '../../src/telemetry/instruments.js';
import { ROOT } from '../helpers/doc-samples.js';
import { registerTestOtel } from '../helpers/otel.js';

// The metrics issue 19 names: the only ones docs/observability.md, its alerts and the dashboard may use.
const METRICS = [
  'runstate.requests',
  'runstate.watches.active',
  'runstate.watches.ended',
  'runstate.watch.duration',
  'runstate.detection.delay',
  'runstate.webhook.deliveries',
  'runstate.tool.calls',
  'runstate.tool.duration',
  'runstate.budget.wait',
  'runstate.queue.step.duration',
  'runstate.queue.step.lateness',
];

/** The OpenTelemetry name a Prometheus series comes from (`runstate_requests_total` → `runstate.requests`). */
function fromPrometheus(series: string): string | undefined {
  const base = series.replace(/_(bucket|sum|count|total)$/, '');
  return METRICS.find((m) => m.replaceAll('.', '_') === base);
}

const seriesIn = (text: string) => [...new Set(text.match(/\brunstate_[a-z_]+/g) ?? [])];

describe('docs/observability.md and docs/grafana/', () => {
  const doc = readFileSync(join(ROOT, 'docs/observability.md'), 'utf8');
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'docs/grafana/runstate.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };

  it('the dashboard parses and queries only the metrics runstate records, every one of them', () => {
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const used = seriesIn(exprs.join('\n'));
    for (const series of used) expect(fromPrometheus(series), series).toBeDefined();
    expect(new Set(used.map(fromPrometheus))).toEqual(new Set(METRICS));
  });

  it('the doc lists every metric, and its alerts use only those', () => {
    for (const name of METRICS) expect(doc).toContain(`\`${name}\``);
    const alerts = doc.slice(doc.indexOf('## Three alerts'), doc.indexOf('## Grafana'));
    expect(alerts.match(/- alert: /g)).toHaveLength(3);
    for (const series of seriesIn(alerts)) expect(fromPrometheus(series), series).toBeDefined();
  });

  it('the names are the ones runstate creates with an SDK registered', async () => {
    const otel = registerTestOtel();
    try {
      const ins = instruments()!;
      const attrs = { kind: 'k' };
      ins.requests.add(1, attrs);
      ins.watchesActive.add(1, attrs);
      ins.watchesEnded.add(1, attrs);
      ins.webhookDeliveries.add(1, attrs);
      ins.toolCalls.add(1, attrs);
      for (const h of [
        ins.watchDuration,
        ins.detectionDelay,
        ins.toolDuration,
        ins.budgetWait,
        ins.stepDuration,
        ins.stepLateness,
      ]) {
        h.record(1, attrs);
      }
      for (const name of METRICS) expect(await otel.points(name), name).toHaveLength(1);
    } finally {
      await otel.shutdown();
    }
  });
});
