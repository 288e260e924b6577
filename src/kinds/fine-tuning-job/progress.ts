import { isCount, type Progress } from '../progress.js';

/**
 * A fine-tune's progress: the training step of its last `metrics` event out of its `total_steps`. Only read when
 * the watch asks for it (`fineTuneProgress`), since it costs a `listEvents` request.
 */
export interface FineTuneProgress extends Progress {
  step: number;
  total_steps: number;
}

/** The progress a fine-tuning `metrics` event carries (`data.step`, `data.total_steps`), or undefined. */
export function metricsProgress(event: { type?: string; data?: unknown }): FineTuneProgress | undefined {
  if (event.type !== 'metrics' || typeof event.data !== 'object' || event.data === null) return undefined;
  const { step, total_steps } = event.data as Record<string, unknown>;
  if (!isCount(step) || !isCount(total_steps)) return undefined;
  return { done: step, total: total_steps, step, total_steps };
}
