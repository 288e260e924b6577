import type OpenAI from 'openai';
import type { OutputItemListResponse } from 'openai/resources/evals/runs/output-items';
import { Observable } from 'rxjs';
import { ConfigurationError } from '../../errors/configuration-error.js';
import { readError } from '../../results/read-error.js';
import { evalRun } from './spec.js';

/** One graded output item of an eval run: whether it passed, and the item as the API gave it. */
export interface EvalItemResult {
  /** The output item's id. */
  id: string;
  /** The data source item it graded (0-based index in the run's data). */
  datasourceItemId: number;
  /** True when every grader passed it (`status: 'pass'`). */
  passed: boolean;
  /** The item's `status` verbatim (`pass`, `fail`, or `error` for one that could not be graded). */
  status: string;
  /** Each grader's verdict: its name, score and whether it passed. */
  results: OutputItemListResponse['results'];
  /** The whole output item. */
  item: OutputItemListResponse;
}

/** Options of {@link evalResults}. */
export interface EvalResultsOptions {
  /** Only items that passed (`'pass'`) or failed (`'fail'`): the API filters them. */
  status?: 'pass' | 'fail';
  /**
   * Items per page (1 to 100): what is held in memory at once.
   *
   * @defaultValue `100`
   */
  pageSize?: number;
  /**
   * Retries of one page read that failed transiently (429, 5xx, network), by the SDK, honouring `retry-after`.
   *
   * @defaultValue `2`
   */
  maxRetries?: number;
}

/**
 * The graded output items of an eval run, oldest first, as an `Observable`: one page is read at a time, and the
 * next only once the previous page's items were handed on (flat memory, however many items). Each item says
 * whether it passed. Pass the run (from `waitForRun` or a terminal snapshot) or its ids. A run still in progress
 * gives the items graded so far. Unsubscribing aborts the read. Errors are typed as `watchRun`'s are.
 *
 * @example
 * const run = await waitForRun({ client, job: { kind: 'eval.run', evalId, runId } });
 * evalResults(client, run).pipe(filter((r) => !r.passed)).subscribe((r) => console.log(r.datasourceItemId));
 */
export function evalResults(
  client: OpenAI,
  run: { id: string; eval_id: string } | { evalId: string; runId: string },
  options: EvalResultsOptions = {},
): Observable<EvalItemResult> {
  const { status, pageSize = 100, maxRetries = 2 } = options;
  const ids =
    run && 'runId' in run
      ? { evalId: run.evalId, runId: run.runId }
      : { evalId: (run as { eval_id?: string })?.eval_id, runId: (run as { id?: string })?.id };
  if (
    typeof ids.evalId !== 'string' ||
    ids.evalId === '' ||
    typeof ids.runId !== 'string' ||
    ids.runId === ''
  ) {
    throw new ConfigurationError(
      'evalResults(): pass an eval run (with id and eval_id) or { evalId, runId }',
    );
  }
  if (!(Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= 100)) {
    throw new ConfigurationError(
      `evalResults(): pageSize must be a whole number from 1 to 100, got ${pageSize}`,
    );
  }
  if (status !== undefined && status !== 'pass' && status !== 'fail') {
    throw new ConfigurationError(
      `evalResults(): status must be 'pass' or 'fail', got ${JSON.stringify(status)}`,
    );
  }
  const job = evalRun.refFromJobId(ids.runId, ids.evalId);
  return new Observable<EvalItemResult>((subscriber) => {
    const controller = new AbortController();
    const run = async () => {
      const query = {
        eval_id: ids.evalId as string,
        limit: pageSize,
        order: 'asc' as const,
        ...(status ? { status } : {}),
      };
      let page = await client.evals.runs.outputItems.list(ids.runId as string, query, {
        signal: controller.signal,
        maxRetries,
      });
      for (;;) {
        for (const item of page.data) {
          if (subscriber.closed) return;
          subscriber.next({
            id: item.id,
            datasourceItemId: item.datasource_item_id,
            passed: item.status === 'pass',
            status: item.status,
            results: item.results,
            item,
          });
        }
        if (!page.hasNextPage() || subscriber.closed) return;
        page = await page.getNextPage();
      }
    };
    run().then(
      () => subscriber.complete(),
      (e: unknown) => {
        if (controller.signal.aborted) return;
        subscriber.error(readError(e, job, `the output items of ${evalRun.describe(job)}`, maxRetries));
      },
    );
    return () => controller.abort();
  });
}
