import type { JobKind, KindProgress, RunState } from '../../model/types.js';
import type { Simulator } from '../../sim/index.js';
import { formatDuration, jobProblem, paintState, plural, type Style, table } from '../format.js';
import { DEMO_SOURCES, type DemoJob, type DemoSource } from './demo-job.js';
import { shortId } from './demo-view.js';

/** One job in the summary. */
export interface JobSummary {
  n: number;
  id: string;
  kind: JobKind;
  fate: string;
  source: DemoSource;
  expected: RunState;
  state: RunState | 'error';
  status: string | null;
  /** Retrieves of this job the simulator served (its own count, every attempt included). */
  retrieves: number;
  /** HTTP requests the watch made (retrieves, tool-output submissions). */
  calls: number;
  /** Simulated ms at which the job really ended, or null (still running: timed out). */
  endedAt: number | null;
  /** Simulated ms of the watch's terminal snapshot. */
  detectedAt: number | null;
  /** detectedAt − endedAt, when both are known and the watch saw the real end. */
  detectionDelayMs: number | null;
  problem: string | null;
  /** The job's last progress (`snapshot.progress`: a batch's requests, an eval's items), else null. */
  progress: KindProgress | null;
}

/** One source's row of the summary. */
export interface SourceSummary {
  source: DemoSource;
  jobs: number;
  retrieves: number;
  calls: number;
  detectionDelayMs: { jobs: number; mean: number; max: number } | null;
  outcomes: Record<string, number>;
}

/** What `runstate demo --json` prints. */
export interface DemoSummary {
  seed: number;
  speed: number;
  wallMs: number;
  simulatedMs: number;
  asScripted: number;
  sources: SourceSummary[];
  jobs: JobSummary[];
}

function summarizeJob(job: DemoJob, sim: Simulator): JobSummary {
  const stats = sim.job(job.id);
  const last = job.last;
  const state = job.error ? 'error' : (last?.state ?? 'queued');
  const endedAt = stats?.endedAt ?? null;
  const detectedAt = last?.done ? last.at : null;
  const sawEnd = detectedAt !== null && endedAt !== null && state !== 'timed_out' && state !== 'error';
  return {
    n: job.n,
    id: job.id,
    kind: job.kind,
    fate: job.fate.label,
    source: job.source,
    expected: job.fate.expect,
    state,
    status: last?.status ?? null,
    retrieves: stats?.retrieves ?? 0,
    calls: last?.calls ?? 0,
    endedAt,
    detectedAt,
    detectionDelayMs: sawEnd ? detectedAt - endedAt : null,
    problem: job.error ?? jobProblem(last?.job) ?? null,
    progress: last?.progress ?? null,
  };
}

function summarizeSource(source: DemoSource, jobs: readonly JobSummary[]): SourceSummary {
  const mine = jobs.filter((j) => j.source === source);
  const delays = mine.flatMap((j) => (j.detectionDelayMs === null ? [] : [j.detectionDelayMs]));
  const outcomes: Record<string, number> = {};
  for (const j of mine) outcomes[j.state] = (outcomes[j.state] ?? 0) + 1;
  return {
    source,
    jobs: mine.length,
    retrieves: mine.reduce((sum, j) => sum + j.retrieves, 0),
    calls: mine.reduce((sum, j) => sum + j.calls, 0),
    detectionDelayMs: delays.length
      ? {
          jobs: delays.length,
          mean: Math.round(delays.reduce((a, b) => a + b, 0) / delays.length),
          max: Math.max(...delays),
        }
      : null,
    outcomes,
  };
}

/** The summary of a finished demo, from the watches and the simulator's own record of each job. */
export function summarize(
  jobs: readonly DemoJob[],
  sim: Simulator,
  run: { seed: number; speed: number; wallMs: number; simulatedMs: number },
): DemoSummary {
  const summaries = jobs.map((job) => summarizeJob(job, sim));
  return {
    ...run,
    asScripted: summaries.filter((j) => j.state === j.expected).length,
    sources: DEMO_SOURCES.map((s) => summarizeSource(s, summaries)).filter((s) => s.jobs > 0),
    jobs: summaries,
  };
}

const STATE_ORDER = ['completed', 'failed', 'incomplete', 'expired', 'cancelled', 'timed_out', 'error'];

const outcomesText = (style: Style, outcomes: Record<string, number>) =>
  Object.entries(outcomes)
    .sort(([a], [b]) => STATE_ORDER.indexOf(a) - STATE_ORDER.indexOf(b))
    .map(([state, n]) => `${paintState(style, state)} ${n}`)
    .join(' · ');

/** The per-job table (plain output, where no live view showed it). */
export function renderJobTable(summary: DemoSummary, style: Style): string[] {
  return table(
    ['#', 'fate', 'kind', 'source', 'job', 'state', 'delay', 'calls'],
    summary.jobs.map((j) => [
      String(j.n),
      j.fate,
      j.kind,
      j.source,
      shortId(j.id),
      `${paintState(style, j.state)}${j.state === j.expected ? '' : style.red(` (expected ${j.expected})`)}`,
      j.detectionDelayMs === null ? '—' : formatDuration(j.detectionDelayMs),
      String(j.calls),
    ]),
    [0, 7],
  );
}

/** The per-source table and the closing lines. */
export function renderSummary(summary: DemoSummary, style: Style): string[] {
  const rows = summary.sources.map((s) => [
    s.source,
    String(s.jobs),
    String(s.calls),
    (s.calls / s.jobs).toFixed(1),
    s.detectionDelayMs
      ? `${formatDuration(s.detectionDelayMs.mean)} / ${formatDuration(s.detectionDelayMs.max)}`
      : '—',
    outcomesText(style, s.outcomes),
  ]);
  const total = summary.jobs.length;
  const scripted =
    summary.asScripted === total
      ? style.green(`${total}/${plural(total, 'job')} ended as scripted.`)
      : style.red(`${summary.asScripted}/${plural(total, 'job')} ended as scripted.`);
  return [
    style.bold(
      `Summary: ${plural(total, 'job')} in ${formatDuration(summary.wallMs)} (${formatDuration(summary.simulatedMs)} simulated at ×${summary.speed}), seed ${summary.seed}`,
    ),
    '',
    ...table(
      ['source', 'jobs', 'calls', 'per job', 'detection delay (mean / max)', 'outcomes'],
      rows,
      [1, 2, 3],
    ),
    '',
    scripted,
    style.dim(
      'calls: HTTP requests each watch made (retrieves, tool-output submissions), as its snapshots count them, the',
    ),
    style.dim(
      'same count as the live view. detection delay: the watch’s terminal snapshot time minus the simulator’s true',
    ),
    style.dim('end time, on the simulated clock: none for a timed-out job (it has not ended), and'),
    style.dim(
      `local HTTP latency counts ×${summary.speed} (a 10 ms webhook round trip shows as ${formatDuration(10 * summary.speed)}).`,
    ),
  ];
}
