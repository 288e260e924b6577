import type OpenAI from 'openai';
import type { FineTuningJobCheckpoint } from 'openai/resources/fine-tuning/jobs/checkpoints';
import type { FineTuningJob } from 'openai/resources/fine-tuning/jobs/jobs';
import { ConfigurationError } from '../../errors/configuration-error.js';
import { JobNotEndedError } from '../../errors/job-not-ended-error.js';
import { readError } from '../../results/read-error.js';
import { fineTuningJob } from './spec.js';

/** One row of a fine-tune's metrics CSV: each column by its header, numbers as numbers, empty cells null. */
export type MetricsRow = Record<string, number | string | null>;

/** What a fine-tune that succeeded made: its model, its result files parsed, its checkpoints. */
export interface FineTuneResult {
  /** The fine-tuned model's name, to pass as `model` (`ft:gpt-4o-mini:org::abc123`). */
  model: string;
  /** The job as last read. */
  job: FineTuningJob;
  /** The rows of its metrics CSV (`step`, `train_loss`, `train_accuracy`, ...), in order. */
  metrics: MetricsRow[];
  /** Its checkpoints, oldest step first, each with its model name and metrics. */
  checkpoints: FineTuningJobCheckpoint[];
}

/** Options of {@link fineTuneResult}. */
export interface FineTuneResultOptions {
  /**
   * Retries of each read that failed transiently (429, 5xx, network), by the SDK, honouring `retry-after`.
   *
   * @defaultValue `2`
   */
  maxRetries?: number;
  signal?: AbortSignal;
}

/** A CSV cell as a number when it is one, null when empty, else the text. */
function cell(text: string): number | string | null {
  const t = text.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

/** The rows of a metrics CSV (no quoted cells: OpenAI's metrics files are numbers). */
export function parseMetricsCsv(text: string): MetricsRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const [header, ...rows] = lines;
  if (!header) return [];
  const columns = header.split(',').map((c) => c.trim());
  return rows.map((row) => {
    const cells = row.split(',');
    return Object.fromEntries(columns.map((c, i) => [c, cell(cells[i] ?? '')]));
  });
}

/**
 * The result of a fine-tune that succeeded: the fine-tuned model, its metrics CSV read into rows, and its
 * checkpoints. Pass the job (from `waitForRun` or a terminal snapshot) or its id (one retrieve then). A job that
 * has not succeeded (still running, failed, cancelled) rejects with `JobNotEndedError`, carrying its status.
 *
 * @example
 * const job = await waitForRun({ client, job: { kind: 'fine_tuning.job', id } });
 * const { model, metrics } = await fineTuneResult(client, job);
 * console.log(model, metrics.at(-1)?.train_loss);
 */
export async function fineTuneResult(
  client: OpenAI,
  job: FineTuningJob | string,
  options: FineTuneResultOptions = {},
): Promise<FineTuneResult> {
  const { maxRetries = 2, signal } = options;
  const id = typeof job === 'string' ? job : job?.id;
  if (typeof id !== 'string' || id === '') {
    throw new ConfigurationError('fineTuneResult(): pass a fine-tuning job or its id');
  }
  const ref = fineTuningJob.refFromJobId(id, '');
  const describe = fineTuningJob.describe(ref);
  const request = { maxRetries, ...(signal ? { signal } : {}) };
  const read = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      throw readError(e, ref, what, maxRetries);
    }
  };
  const latest =
    typeof job === 'string' || job.status !== 'succeeded'
      ? await read(describe, () => client.fineTuning.jobs.retrieve(id, request))
      : job;
  if (latest.status !== 'succeeded' || !latest.fine_tuned_model) {
    throw new JobNotEndedError(
      `${describe} is ${latest.status}: it has a model and results once it has succeeded (watch it with watchRun first)`,
      latest.status,
      { job: ref },
    );
  }
  const metrics: MetricsRow[] = [];
  for (const fileId of latest.result_files) {
    const text = await read(`the result file ${fileId} of ${describe}`, async () =>
      (await client.files.content(fileId, request)).text(),
    );
    metrics.push(...parseMetricsCsv(text));
  }
  const checkpoints: FineTuningJobCheckpoint[] = [];
  await read(`the checkpoints of ${describe}`, async () => {
    for await (const c of client.fineTuning.jobs.checkpoints.list(id, { limit: 100 }, request))
      checkpoints.push(c);
  });
  checkpoints.sort((a, b) => a.step_number - b.step_number);
  return { model: latest.fine_tuned_model, job: latest, metrics, checkpoints };
}
