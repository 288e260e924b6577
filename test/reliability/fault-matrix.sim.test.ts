// The fault matrix in CI: jobs of every kind and outcome under 429s, 5xx, resets and webhook drops, duplicates and
// reordering (test/reliability/fault-matrix.ts). bench/reliability.ts runs the same at 1,000 jobs per mode.
import { beforeAll, describe, expect, it } from 'vitest';
import { FATES, fatesOf, type MatrixMode, type MatrixReport, runFaultMatrix } from './fault-matrix.js';

/** Every fate 6 times, for every kind's fates. */
const ROUNDS = 6;
const JOBS = FATES.length * ROUNDS;
const TOOL_RUNS = FATES.filter((f) => f.tools).length * ROUNDS;

const describeJob = (j: MatrixReport['jobs'][number]) =>
  `${JSON.stringify(j.ref)}: watch ${j.watch}, server ${j.server}${j.detail ? ` (${j.detail})` : ''}`;

describe.each(['poll', 'hybrid', 'budget'] as const satisfies readonly MatrixMode[])(
  'fault matrix, %s',
  (mode) => {
    let report: MatrixReport;
    beforeAll(async () => {
      report = await runFaultMatrix({ mode, jobs: JOBS });
    }, 120_000);

    it('ran under every fault', () => {
      expect(report.jobs).toHaveLength(JOBS);
      expect(report.rateLimited).toBeGreaterThan(0);
      expect(report.serverErrors).toBeGreaterThan(0);
      expect(report.dropped).toBeGreaterThan(0);
      if (mode === 'hybrid') {
        expect(report.webhooks.dropped).toBeGreaterThan(0);
        expect(report.webhooks.duplicated).toBeGreaterThan(0);
        expect(report.webhooks.reordered).toBeGreaterThan(0);
      }
    });

    it('reports no outcome the server does not have, and one terminal snapshot per watch', () => {
      expect(report.wrong.map(describeJob)).toEqual([]);
      expect(report.duplicateTerminals).toBe(0);
    });

    it('runs no handler twice and never submits again what was answered 2xx', () => {
      expect(report.doubleHandlerRuns).toBe(0);
      expect(report.doubleSubmissions).toBe(0);
      // Each tool run has 3 calls in 2 rounds; a watch that ended without an outcome may leave one unanswered.
      const toolKinds = new Set(FATES.filter((f) => f.tools).map((f) => f.kind));
      const answered = report.jobs.filter((j) => j.right && toolKinds.has(j.ref.kind)).length;
      expect(report.handlerRuns).toBeGreaterThan(0);
      expect(report.handlerRuns).toBeLessThanOrEqual(TOOL_RUNS * 3);
      expect(report.submissionsAccepted).toBeLessThanOrEqual(TOOL_RUNS * 2);
      expect(answered).toBeGreaterThan(0);
      // Every round a run reached was answered, but those of runs whose watch ended without an outcome (said so).
      const unknownRuns = report.jobs.filter((j) => j.unknown && j.ref.kind === 'assistants.run').length;
      expect(report.roundsReached).toBeGreaterThan(0);
      expect(report.roundsUnanswered).toBeLessThanOrEqual(unknownRuns * 2);
    });

    it(
      mode === 'poll'
        ? 'counts the watches that ended without an outcome (allowed for poll(), never wrong)'
        : 'knows every outcome',
      () => {
        const unknown = report.jobs.filter((j) => j.unknown);
        expect(report.right + unknown.length).toBe(JOBS);
        if (mode !== 'poll') expect(unknown.map(describeJob)).toEqual([]);
        // An unknown outcome is said: an error saying so, or timed_out with its note.
        for (const j of unknown) expect(j.watch === 'timed_out' || j.watch.startsWith('error:')).toBe(true);
      },
    );
  },
);

// Agent sessions alone over their live stream (sessions.events.stream), dropped mid-stream or at once, besides the
// matrix's 429s, 5xx and resets on every request: each connection is followed by a read, so nothing is lost.
describe('fault matrix, stream (agent sessions)', () => {
  const fates = fatesOf(['agent.session']);
  const jobs = fates.length * 12;
  let report: MatrixReport;
  beforeAll(async () => {
    report = await runFaultMatrix({ mode: 'stream', jobs, kinds: ['agent.session'] });
  }, 120_000);

  it('ran under every fault, streams dropped included', () => {
    expect(report.jobs).toHaveLength(jobs);
    expect(report.rateLimited).toBeGreaterThan(0);
    expect(report.dropped).toBeGreaterThan(0);
    expect(report.streamsDropped).toBeGreaterThan(0);
  });

  it('knows every outcome, none wrong, one terminal snapshot each', () => {
    expect(report.wrong.map(describeJob)).toEqual([]);
    expect(report.jobs.filter((j) => j.unknown).map(describeJob)).toEqual([]);
    expect(report.right).toBe(jobs);
    expect(report.duplicateTerminals).toBe(0);
  });

  it('answers each call id once: no handler twice, no submission after a 2xx, no round left', () => {
    expect(report.handlerRuns).toBe((jobs / fates.length) * 3);
    expect(report.doubleHandlerRuns).toBe(0);
    expect(report.doubleSubmissions).toBe(0);
    expect(report.roundsUnanswered).toBe(0);
  });
});
