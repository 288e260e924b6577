import type { EvalCreateResponse } from 'openai/resources/evals/evals';
import type { RunRetrieveResponse } from 'openai/resources/evals/runs/runs';
import type { SimContext } from '../../context.js';
import { optionalArray, optionalMetadata, optionalString } from '../../server/body.js';
import { badRequest, missingParam, notFound } from '../../server/errors.js';
import type { RouteDef } from '../../server/route.js';
import { toUnix } from '../job.js';
import { paginate } from '../list.js';
import { EvalRunJob } from './eval-run-job.js';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The items a `file_content` data source carries, else undefined. */
function itemsOf(dataSource: Record<string, unknown>): Record<string, unknown>[] | undefined {
  const source = dataSource.source;
  if (!isRecord(source) || source.type !== 'file_content' || !Array.isArray(source.content)) return undefined;
  return source.content.map((c) => (isRecord(c) && isRecord(c.item) ? c.item : {}));
}

/**
 * `evals.create/retrieve`, and the runs: `evals.runs.create/retrieve/list/cancel` and
 * `evals.runs.outputItems.list/retrieve` (all under `/evals/{eval_id}`).
 */
export function evalsRoutes(ctx: SimContext): RouteDef[] {
  const evals = new Map<string, EvalCreateResponse>();
  const runs = new Map<string, EvalRunJob>();
  const findEval = (id: string) => {
    const found = evals.get(id);
    if (!found) throw notFound('eval', id, 'eval_id');
    return found;
  };
  const findRun = (evalId: string, runId: string) => {
    findEval(evalId);
    const run = runs.get(runId);
    if (!run || run.evalId !== evalId) throw notFound('eval run', runId, 'run_id');
    return run;
  };
  // Both cancel paths answer alike: the SDK's `…/cancel`, and the run's own path the spec names.
  const cancelRun: RouteDef['handle'] = ({ params, now }) => {
    const run = findRun(params.eval_id!, params.run_id!);
    run.cancel(now);
    ctx.jobs.replanned(run);
    return { body: run.toRun(now) };
  };
  return [
    {
      name: 'evals.create',
      method: 'POST',
      path: '/evals',
      handle: ({ body, now }) => {
        if (!isRecord(body.data_source_config)) throw missingParam('data_source_config');
        const criteria = optionalArray(body, 'testing_criteria');
        if (!criteria) throw missingParam('testing_criteria');
        const evaluation = {
          id: ctx.ids.make('eval_', 32, 'hex'),
          object: 'eval',
          name: optionalString(body, 'name') ?? 'Simulated eval',
          created_at: toUnix(now),
          data_source_config: { schema: {}, ...body.data_source_config },
          testing_criteria: criteria,
          metadata: optionalMetadata(body),
        } as EvalCreateResponse;
        evals.set(evaluation.id, evaluation);
        return { body: evaluation };
      },
    },
    {
      name: 'evals.retrieve',
      method: 'GET',
      path: '/evals/:eval_id',
      handle: ({ params }) => ({ body: findEval(params.eval_id!) }),
    },
    {
      name: 'evals.runs.create',
      method: 'POST',
      path: '/evals/:eval_id/runs',
      handle: ({ params, body, now }) => {
        const evaluation = findEval(params.eval_id!);
        const dataSource = body.data_source;
        if (!isRecord(dataSource)) throw missingParam('data_source');
        if (typeof dataSource.type !== 'string') {
          throw badRequest("Invalid 'data_source': expected an object with a 'type'.", 'data_source');
        }
        const metadata = optionalMetadata(body);
        const scenario = ctx.scenarioFor('eval.run', metadata);
        const model = typeof dataSource.model === 'string' ? dataSource.model : 'gpt-4o-mini';
        const job = new EvalRunJob(ctx.ids.make('evalrun_', 32, 'hex'), {
          evaluation,
          name: optionalString(body, 'name') ?? `${evaluation.name} run`,
          model,
          dataSource: dataSource as unknown as RunRetrieveResponse['data_source'],
          items: itemsOf(dataSource),
          metadata,
          scenario,
          random: ctx.jobRandom(),
          makeId: () => ctx.ids.make('outputitem_', 32, 'hex'),
          now,
        });
        runs.set(job.id, job);
        ctx.jobs.add(job);
        return { body: job.toRun(now) };
      },
    },
    {
      name: 'evals.runs.list',
      method: 'GET',
      path: '/evals/:eval_id/runs',
      handle: ({ params, query, now }) => {
        findEval(params.eval_id!);
        const mine = [...runs.values()].filter((r) => r.evalId === params.eval_id);
        const status = query.get('status');
        const listed = mine.map((r) => r.toRun(now)).filter((r) => !status || r.status === status);
        return { body: paginate(listed, withOrder(query, 'asc')) };
      },
    },
    {
      name: 'evals.runs.retrieve',
      method: 'GET',
      path: '/evals/:eval_id/runs/:run_id',
      jobParam: 'run_id',
      handle: ({ params, now }) => ({ body: findRun(params.eval_id!, params.run_id!).toRun(now) }),
    },
    {
      // The SDK's `evals.runs.cancel` POSTs to `…/cancel`; the spec names the run's own path too.
      name: 'evals.runs.cancel',
      method: 'POST',
      path: '/evals/:eval_id/runs/:run_id/cancel',
      jobParam: 'run_id',
      handle: cancelRun,
    },
    {
      name: 'evals.runs.cancel_at_run',
      method: 'POST',
      path: '/evals/:eval_id/runs/:run_id',
      jobParam: 'run_id',
      handle: cancelRun,
    },
    {
      name: 'evals.runs.output_items.list',
      method: 'GET',
      path: '/evals/:eval_id/runs/:run_id/output_items',
      jobParam: 'run_id',
      handle: ({ params, query, now }) => {
        const status = query.get('status');
        if (status !== null && status !== 'pass' && status !== 'fail') {
          throw badRequest(
            `Invalid value for 'status': expected 'pass' or 'fail', got '${status}'.`,
            'status',
          );
        }
        const items = findRun(params.eval_id!, params.run_id!)
          .outputItems(now)
          .filter((i) => !status || i.status === status);
        return { body: paginate(items, withOrder(query, 'asc')) };
      },
    },
    {
      name: 'evals.runs.output_items.retrieve',
      method: 'GET',
      path: '/evals/:eval_id/runs/:run_id/output_items/:output_item_id',
      jobParam: 'run_id',
      handle: ({ params, now }) => {
        const item = findRun(params.eval_id!, params.run_id!)
          .outputItems(now)
          .find((i) => i.id === params.output_item_id);
        if (!item) throw notFound('output item', params.output_item_id!, 'output_item_id');
        return { body: item };
      },
    },
  ];
}

/** The query with `order` set when the caller named none: eval lists are oldest first by default. */
function withOrder(query: URLSearchParams, order: 'asc' | 'desc'): URLSearchParams {
  if (query.has('order')) return query;
  const q = new URLSearchParams(query);
  q.set('order', order);
  return q;
}
