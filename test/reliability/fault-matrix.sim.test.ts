// The fault matrix in CI: jobs of every kind and outcome under 429s, 5xx, resets and webhook drops, duplicates and
// reordering (test/reliability/fault-matrix.ts). bench/reliability.ts runs the same at 1,000 jobs per mode.
import { describe, expect, it } from 'vitest';
import { FATES, type MatrixMode, type MatrixReport, runFaultMatrix } from './fault-matrix.js';

/** Every fate 6 times: 84 jobs per mode, 252 in all. */
const JOBS = FATES.length * 6;

function describeWrong(report: MatrixReport): string[] {
  return report.wrong.map(
    (j) => `${j.ref.kind} ${JSON.stringify(j.ref)}: watch ${j.watch}, server ${j.server}`,
  );
}

describe.each(['poll', 'hybrid', 'budget'] as const satisfies readonly MatrixMode[])(
  'fault matrix with %s',
  (mode) => {
    it(`${JOBS} jobs: no wrong outcome, one terminal snapshot each, no handler or submission twice`, async () => {
      const report = await runFaultMatrix({ mode, jobs: JOBS });
      // The faults did fire.
      expect(report.rateLimited).toBeGreaterThan(0);
      expect(report.serverErrors).toBeGreaterThan(0);
      expect(report.dropped).toBeGreaterThan(0);
      if (mode === 'hybrid') {
        expect(report.webhooks.dropped).toBeGreaterThan(0);
        expect(report.webhooks.duplicated).toBeGreaterThan(0);
        expect(report.webhooks.reordered).toBeGreaterThan(0);
      }

      expect(describeWrong(report)).toEqual([]);
      expect(report.duplicateTerminals).toBe(0);
      expect(report.doubleHandlerRuns).toBe(0);
      expect(report.doubleSubmissions).toBe(0);
      // Every run with tools had both rounds answered, unless its watch ended without an outcome.
      const toolRuns = FATES.filter((f) => f.tools).length * 6;
      expect(report.handlerRuns).toBeGreaterThan(0);
      expect(report.submissionsAccepted).toBeLessThanOrEqual(toolRuns * 2);
      // Unknown outcomes (an error saying so, or timed_out) are allowed but counted; hybrid and the budget have none.
      if (mode !== 'poll') expect(report.unknown).toBe(0);
      expect(report.right + report.unknown).toBe(JOBS);
    });
  },
);
