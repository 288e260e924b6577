import type { SimContext } from '../../context.js';
import { noSuchFile } from '../../files/file-store.js';
import { optionalMetadata, optionalString, requireString } from '../../server/body.js';
import { notFound } from '../../server/errors.js';
import type { RouteDef } from '../../server/route.js';
import { paginate } from '../list.js';
import { FineTuneJob } from './fine-tuning-job.js';

/**
 * `fineTuning.jobs.create/retrieve/list/cancel/pause/resume/listEvents` and `jobs.checkpoints.list`. The training
 * file must exist (uploaded with `files.create`) unless the scenario says `anyInputFile: true`.
 */
export function fineTuningRoutes(ctx: SimContext): RouteDef[] {
  const jobs = new Map<string, FineTuneJob>();
  const find = (id: string) => {
    const job = jobs.get(id);
    if (!job) throw notFound('fine-tuning job', id, 'fine_tuning_job_id');
    return job;
  };
  /** A write that changes the job's plan: the registry must watch its new next step. */
  const change = (id: string, now: number, act: (job: FineTuneJob) => void) => {
    const job = find(id);
    act(job);
    ctx.jobs.replanned(job);
    return { body: job.toJob(now) };
  };
  return [
    {
      name: 'fine_tuning.jobs.create',
      method: 'POST',
      path: '/fine_tuning/jobs',
      handle: ({ body, now }) => {
        const model = requireString(body, 'model');
        const trainingFile = requireString(body, 'training_file');
        const metadata = optionalMetadata(body);
        const scenario = ctx.scenarioFor('fine_tuning.job', metadata);
        if (!ctx.files.get(trainingFile, now) && !scenario.anyInputFile) {
          throw noSuchFile(trainingFile, 'training_file');
        }
        const random = ctx.jobRandom();
        const seed = typeof body.seed === 'number' ? body.seed : Math.floor(random.next() * 2 ** 31);
        const job = new FineTuneJob(ctx.ids.make('ftjob-', 24), {
          model,
          trainingFile,
          validationFile: optionalString(body, 'validation_file'),
          suffix: optionalString(body, 'suffix'),
          seed,
          metadata,
          scenario,
          random,
          ids: ctx.ids,
          files: ctx.files,
          now,
        });
        jobs.set(job.id, job);
        ctx.jobs.add(job);
        return { body: job.toJob(now) };
      },
    },
    {
      name: 'fine_tuning.jobs.retrieve',
      method: 'GET',
      path: '/fine_tuning/jobs/:fine_tuning_job_id',
      jobParam: 'fine_tuning_job_id',
      handle: ({ params, now }) => ({ body: find(params.fine_tuning_job_id!).toJob(now) }),
    },
    {
      name: 'fine_tuning.jobs.list',
      method: 'GET',
      path: '/fine_tuning/jobs',
      handle: ({ query, now }) => ({
        body: paginate(
          [...jobs.values()].map((j) => j.toJob(now)),
          query,
        ),
      }),
    },
    {
      name: 'fine_tuning.jobs.cancel',
      method: 'POST',
      path: '/fine_tuning/jobs/:fine_tuning_job_id/cancel',
      jobParam: 'fine_tuning_job_id',
      handle: ({ params, now }) => change(params.fine_tuning_job_id!, now, (job) => job.cancel(now)),
    },
    {
      name: 'fine_tuning.jobs.pause',
      method: 'POST',
      path: '/fine_tuning/jobs/:fine_tuning_job_id/pause',
      jobParam: 'fine_tuning_job_id',
      handle: ({ params, now }) => change(params.fine_tuning_job_id!, now, (job) => job.pause(now)),
    },
    {
      name: 'fine_tuning.jobs.resume',
      method: 'POST',
      path: '/fine_tuning/jobs/:fine_tuning_job_id/resume',
      jobParam: 'fine_tuning_job_id',
      handle: ({ params, now }) => change(params.fine_tuning_job_id!, now, (job) => job.resume(now)),
    },
    {
      name: 'fine_tuning.jobs.events',
      method: 'GET',
      path: '/fine_tuning/jobs/:fine_tuning_job_id/events',
      jobParam: 'fine_tuning_job_id',
      // Newest first, as the API lists events.
      handle: ({ params, query, now }) => ({
        body: paginate(find(params.fine_tuning_job_id!).events(now), withOrder(query, 'desc')),
      }),
    },
    {
      name: 'fine_tuning.jobs.checkpoints',
      method: 'GET',
      path: '/fine_tuning/jobs/:fine_tuning_job_id/checkpoints',
      jobParam: 'fine_tuning_job_id',
      handle: ({ params, query, now }) => ({
        body: paginate(find(params.fine_tuning_job_id!).checkpoints(now), withOrder(query, 'desc')),
      }),
    },
  ];
}

/** The query with `order` set to `order` when the caller named none (these lists take no `order`). */
function withOrder(query: URLSearchParams, order: 'asc' | 'desc'): URLSearchParams {
  if (query.has('order')) return query;
  const q = new URLSearchParams(query);
  q.set('order', order);
  return q;
}
