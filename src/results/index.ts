// runstate/results: what ended jobs made, beside `batchResults` in the root: an eval run's graded output items, a
// fine-tune's model, metrics and checkpoints.

export { JobNotEndedError } from '../errors/job-not-ended-error.js';
export { type EvalItemResult, type EvalResultsOptions, evalResults } from '../kinds/eval-run/results.js';
export {
  type FineTuneResult,
  type FineTuneResultOptions,
  fineTuneResult,
  type MetricsRow,
  parseMetricsCsv,
} from '../kinds/fine-tuning-job/result.js';
