import type { RunRetrieveResponse } from 'openai/resources/evals/runs/runs';
import type { JobState } from '../../model/observation.js';
import { progressKey } from '../progress.js';
import { idsProblem, ownRef } from '../ref-ids.js';
import { requestOptions } from '../request-options.js';
import { sameAsAge } from '../same-as-age.js';
import type { KindSpec, RefLike } from '../spec.js';
import { evalRunCommandLine } from './cli.js';
import { type EvalExtras, evalExtras } from './progress.js';

/** An eval run, by its eval's id and its own. */
export type EvalRunRef = { kind: 'eval.run'; evalId: string; runId: string };

/** An eval run as the SDK types it (`evals.runs.retrieve`). */
export type EvalRun = RunRetrieveResponse;

// The SDK types the status as a string; the spec's list filter names these. `canceled` has one l.
const STATES: Record<string, JobState> = {
  queued: 'queued',
  in_progress: 'in_progress',
  completed: 'completed',
  failed: 'failed',
  canceled: 'cancelled',
};

// OpenAI's webhooks say `succeeded` where the run's status says `completed`.
const WEBHOOK_STATUSES: Record<string, string> = {
  succeeded: 'completed',
  failed: 'failed',
  canceled: 'canceled',
};

const ids = (ref: RefLike): EvalRunRef => ownRef<EvalRunRef>(ref, 'eval.run', 'an eval.run');

/**
 * Eval runs (`client.evals.runs`): graded output items counted as they go (`result_counts`), webhooks when they
 * end (`eval.run.succeeded`, `.failed`, `.canceled`).
 */
export const evalRun: KindSpec<'eval.run', EvalRunRef, EvalRun, EvalExtras> = {
  kind: 'eval.run',
  cli: evalRunCommandLine,
  jobId: (ref) => ids(ref).runId,
  describe(ref) {
    const { evalId, runId } = ids(ref);
    return `eval run ${runId} of eval ${evalId}`;
  },
  refProblem: (ref) => idsProblem(ref, ['evalId', 'runId']),
  refFromJobId: (runId, evalId) => ({ kind: 'eval.run', evalId, runId }),
  async retrieve(client, ref, options) {
    const { evalId, runId } = ids(ref);
    const { data, response } = await client.evals.runs
      .retrieve(runId, { eval_id: evalId }, requestOptions(options))
      .withResponse();
    return { job: data, headers: response.headers };
  },
  async cancel(client, ref, options) {
    const { evalId, runId } = ids(ref);
    const { data, response } = await client.evals.runs
      .cancel(runId, { eval_id: evalId }, requestOptions(options))
      .withResponse();
    return { job: data as EvalRun, headers: response.headers };
  },
  status: (r) => r.status,
  mapStatus: (status) => (Object.hasOwn(STATES, status) ? STATES[status] : undefined),
  // An eval run has no server expiry: only the watcher's own timeout applies.
  expiresAt: () => null,
  toolCalls: () => [],
  webhookStatus(type) {
    if (!type.startsWith('eval.run.')) return undefined;
    const said = type.slice('eval.run.'.length);
    return Object.hasOwn(WEBHOOK_STATUSES, said) ? WEBHOOK_STATUSES[said] : said;
  },
  announced(ref, status) {
    const { evalId, runId } = ids(ref);
    return { id: runId, object: 'eval.run', status, eval_id: evalId, announced: true };
  },
  durationDetail: (job) => (job as { model?: unknown } | undefined)?.model,
  // An eval run grades its items for minutes, an hour for a large data set: a watch waits six hours. Polled like
  // a response, by its age: from 2 s, at least 10% of its age, up to 5 minutes.
  defaults: {
    maxWaitMs: 6 * 60 * 60_000,
    poll: { initialDelayMs: 2000, growth: { share: 0.1, maxDelayMs: 5 * 60_000 } },
    hybridPoll: sameAsAge(90_000, 60 * 60_000),
  },
  slimFields: ['id', 'object', 'status', 'created_at', 'eval_id', 'model', 'result_counts'],
  snapshotExtras: evalExtras,
  progressUnit: 'items',
  extrasKey: progressKey,
};
