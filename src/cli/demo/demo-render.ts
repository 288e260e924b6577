import { plural, type Style } from '../format.js';
import type { Streamed } from './demo-jobs.js';
import { type DemoSummary, renderJobTable, renderSummary } from './demo-summary.js';

/** The lines printed before the jobs start (not with `--json`). */
export function headerLines(
  style: Style,
  run: { count: number; seed: number; speed: number; baseURL: string; webhooksUrl: string },
): string[] {
  const { count, seed, speed, baseURL, webhooksUrl } = run;
  return [
    style.bold(
      `runstate demo: ${plural(count, 'job')} on the simulator at ${baseURL} (seed ${seed}, clock ×${speed})`,
    ),
    style.dim(`webhooks: signed deliveries to ${webhooksUrl}, verified by a hub`),
    '',
  ];
}

/** The live view's header: how far the simulated clock has gone. */
export const liveHeader = (style: Style, elapsedMs: number): string =>
  style.dim(`simulated time +${(elapsedMs / 1000).toFixed(1)} s`);

/** What the summary says of the streamed response. */
export interface StreamSummary {
  id: string;
  state: string | undefined;
  source: string | undefined;
  calls: number | undefined;
  textSnapshots: number;
  text: string | undefined;
  error?: string;
}

/** The streamed response as the summary reports it. */
export function summarizeStreamed(streamed: Streamed): StreamSummary {
  return {
    id: streamed.id,
    state: streamed.last?.state,
    source: streamed.last?.source,
    calls: streamed.last?.calls,
    textSnapshots: streamed.textSnapshots,
    text: streamed.last?.text,
    ...(streamed.error ? { error: streamed.error } : {}),
  };
}

/** `runstate demo --json`: the summary with the streamed response, as one JSON document. */
export function reportJson(summary: DemoSummary, streamed: StreamSummary): string {
  return JSON.stringify({ ...summary, streamed }, null, 2);
}

/**
 * The closing report: the per-job table where no live view showed the jobs, the per-source summary, and the
 * streamed response with its text (or the error that ended its watch).
 */
export function reportLines(
  summary: DemoSummary,
  streamed: StreamSummary,
  style: Style,
  live: boolean,
): string[] {
  return [
    '',
    ...(live ? [] : [...renderJobTable(summary, style), '']),
    ...renderSummary(summary, style),
    '',
    style.bold(`Streamed response ${streamed.id}`) +
      style.dim(
        ` (stream(): ${streamed.state ?? 'not finished'} via ${streamed.source ?? '-'}, ${streamed.calls ?? 0} request(s), text in ${streamed.textSnapshots} snapshots)`,
      ),
    `  ${streamed.error ?? streamed.text ?? ''}`,
  ];
}
