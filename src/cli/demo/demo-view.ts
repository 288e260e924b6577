import type { RunSnapshot } from '../../model/types.js';
import {
  describeToolCalls,
  formatDuration,
  jobProblem,
  paintState,
  plural,
  progressBar,
  progressUnit,
  type Style,
  table,
} from '../format.js';
import type { DemoJob } from './demo-job.js';

const ID_WIDTH = 18;
/** `requires_action`, the longest state. */
const STATE_WIDTH = 15;

/** Simulator ids are long (`resp_` + 48 hex digits): the start tells them apart. */
export const shortId = (id: string): string => (id.length > ID_WIDTH ? `${id.slice(0, ID_WIDTH - 1)}…` : id);

/** What a snapshot adds to its state: the tool calls answered or waiting, or what went wrong. */
function detail(snapshot: RunSnapshot | undefined, style: Style): string {
  if (!snapshot) return '';
  if (snapshot.state === 'requires_action') {
    if (snapshot.missingHandlers.length > 0) {
      return style.yellow(`waits for ${snapshot.missingHandlers.join(', ')} (no handler)`);
    }
    return snapshot.pendingToolCalls.length > 0
      ? `answering ${describeToolCalls(snapshot)}`
      : style.dim('tool outputs submitted');
  }
  if (snapshot.state === 'timed_out') {
    return style.dim(
      snapshot.status === undefined
        ? 'gave up before seeing the job'
        : `gave up; the job is still ${snapshot.status}`,
    );
  }
  const problem = snapshot.done ? jobProblem(snapshot.job) : undefined;
  if (problem) return problem;
  // A batch: its requests as a bar, while it runs and at its end (a cancelled batch shows how far it got).
  return snapshot.progress ? progressBar(style, snapshot.progress, progressUnit(snapshot.kind), 12) : '';
}

/** The live view's block: a header, one line per job (state, elapsed, calls, source), a progress line. */
export function liveLines(jobs: readonly DemoJob[], now: number, style: Style, header: string): string[] {
  const rows = jobs.map((job) => {
    const last = job.last;
    const end = job.finished ? (job.seenAt ?? now) : now;
    const state = job.error ? style.red('error') : paintState(style, last?.state ?? 'queued');
    // What matters most comes first: on a narrow terminal the line is cut from the right.
    return [
      String(job.n),
      job.source,
      shortId(job.id),
      `${job.finished ? '  ' : style.dim('● ')}${state}`,
      formatDuration(Math.max(0, end - job.createdAt)),
      String(last?.calls ?? 0),
      job.fate.label,
      job.error ?? detail(last, style),
    ];
  });
  const done = jobs.filter((j) => j.finished).length;
  return [
    header,
    // Fixed widths where values change, so the columns do not shift from one frame to the next.
    ...table(
      ['#', 'source', 'job', `  ${'state'.padEnd(STATE_WIDTH)}`, 'elapsed', 'calls', 'scripted as', ''],
      rows,
      [0, 4, 5],
    ),
    style.dim(`${done}/${jobs.length} done`),
  ];
}

/** One plain line for one transition: simulated time since the start, the job, its new state. */
export function transitionLine(job: DemoJob, snapshot: RunSnapshot, start: number, style: Style): string {
  const t = `+${formatDuration((job.seenAt ?? snapshot.at) - start)}`.padStart(9);
  const extra = detail(snapshot, style);
  const calls = snapshot.done ? ` (${plural(snapshot.calls, 'call')})` : '';
  return `${style.dim(t)}  #${String(job.n).padStart(2, '0')} ${job.source.padEnd(7)} ${shortId(job.id).padEnd(ID_WIDTH)}  ${paintState(style, snapshot.state)}${calls}${extra ? `  ${extra}` : ''}`;
}
