import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INSTRUMENTATION_SCOPE, instruments } from '../../src/telemetry/instruments.js';
import { jobEndedAt, startWatchTelemetry } from '../../src/telemetry/watch-telemetry.js';
import { registerTestOtel } from '../helpers/otel.js';

const watch = { kind: 'k', jobId: 'job_1', source: 'poll', now: () => 0 };

describe('instruments', () => {
  it('names the tracer and meter after the package and its version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(INSTRUMENTATION_SCOPE).toEqual({ name: pkg.name, version: pkg.version });
  });

  it('gives a watch no recorder at all without an SDK, unless a logger asks for one', () => {
    expect(instruments()).toBeUndefined();
    expect(startWatchTelemetry({}, watch)).toBeUndefined();
    const logger = { info() {}, warn() {}, error() {} };
    expect(startWatchTelemetry({ logger }, watch)).toBeDefined();
    expect(startWatchTelemetry({ logger, telemetry: false }, watch)).toBeUndefined();
  });

  it('finds an SDK registered after it first looked, and honours telemetry: false', async () => {
    expect(instruments()).toBeUndefined();
    const otel = registerTestOtel();
    try {
      expect(instruments()?.tracing).toBe(true);
      expect(startWatchTelemetry({}, watch)).toBeDefined();
      expect(startWatchTelemetry({ telemetry: false }, watch)).toBeUndefined();
    } finally {
      await otel.shutdown();
    }
    expect(instruments()).toBeUndefined();
  });

  it("reads the job's own end time from the field its state names, in unix seconds", () => {
    const snap = (state: string, job: object) => ({ state, job }) as never;
    expect(jobEndedAt(snap('completed', { completed_at: 1700000000 }))).toBe(1700000000000);
    expect(jobEndedAt(snap('failed', { completed_at: 1, failed_at: 2 }))).toBe(2000);
    expect(jobEndedAt(snap('timed_out', { completed_at: 1 }))).toBeUndefined();
    expect(jobEndedAt(snap('completed', { completed_at: null }))).toBeUndefined();
  });
});
