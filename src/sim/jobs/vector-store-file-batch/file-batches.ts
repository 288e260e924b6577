import type { VectorStore } from 'openai/resources/vector-stores/vector-stores';
import type { SimContext } from '../../context.js';
import { optionalArray, optionalMetadata, optionalString } from '../../server/body.js';
import { badRequest, missingParam, notFound } from '../../server/errors.js';
import type { RouteDef } from '../../server/route.js';
import { toUnix } from '../job.js';
import { paginate } from '../list.js';
import { expiresAt, readExpiresAfter } from './expires-after.js';
import { FileBatchJob } from './file-batch-job.js';

/**
 * `vectorStores.create/retrieve`, and their file batches: `vectorStores.fileBatches.create/retrieve/cancel/
 * listFiles`. A file batch takes its scenario from its vector store's `metadata.sim_scenario` (file batches have
 * no metadata of their own).
 */
export function fileBatchesRoutes(ctx: SimContext): RouteDef[] {
  const stores = new Map<string, VectorStore>();
  const batches = new Map<string, FileBatchJob>();
  const findStore = (id: string) => {
    const store = stores.get(id);
    if (!store) throw notFound('vector store', id, 'vector_store_id');
    return store;
  };
  const findBatch = (storeId: string, batchId: string) => {
    findStore(storeId);
    const batch = batches.get(batchId);
    if (!batch || batch.vectorStoreId !== storeId)
      throw notFound('vector store file batch', batchId, 'batch_id');
    return batch;
  };
  const storeAt = (store: VectorStore, now: number): VectorStore => {
    const counts = { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };
    for (const b of batches.values()) {
      if (b.vectorStoreId !== store.id) continue;
      const c = b.toBatch(now).file_counts;
      for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += c[k];
    }
    return { ...store, file_counts: counts, status: counts.in_progress > 0 ? 'in_progress' : 'completed' };
  };
  return [
    {
      name: 'vector_stores.create',
      method: 'POST',
      path: '/vector_stores',
      handle: ({ body, now }) => {
        const expiresAfter = readExpiresAfter(body);
        const store: VectorStore = {
          id: ctx.ids.make('vs_', 32, 'hex'),
          object: 'vector_store',
          created_at: toUnix(now),
          name: optionalString(body, 'name') ?? '',
          usage_bytes: 0,
          file_counts: { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 },
          status: 'completed',
          last_active_at: toUnix(now),
          metadata: optionalMetadata(body),
          expires_after: expiresAfter,
          expires_at: expiresAt(expiresAfter, toUnix(now)),
        } as VectorStore;
        stores.set(store.id, store);
        return { body: store };
      },
    },
    {
      name: 'vector_stores.retrieve',
      method: 'GET',
      path: '/vector_stores/:vector_store_id',
      handle: ({ params, now }) => ({ body: storeAt(findStore(params.vector_store_id!), now) }),
    },
    {
      name: 'vector_stores.file_batches.create',
      method: 'POST',
      path: '/vector_stores/:vector_store_id/file_batches',
      handle: ({ params, body, now }) => {
        const store = findStore(params.vector_store_id!);
        const ids = optionalArray(body, 'file_ids');
        const files = optionalArray(body, 'files');
        const fileIds = [
          ...(ids ?? []),
          ...(files ?? []).map((f) => (f as { file_id?: unknown } | null)?.file_id),
        ];
        if (fileIds.length === 0) throw missingParam('file_ids');
        if (!fileIds.every((f): f is string => typeof f === 'string' && f !== '')) {
          throw badRequest("Invalid 'file_ids': expected an array of file ids.", 'file_ids');
        }
        const job = new FileBatchJob(ctx.ids.make('vsfb_', 32, 'hex'), {
          vectorStoreId: store.id,
          fileIds,
          scenario: ctx.scenarioFor('vector_store.file_batch', store.metadata),
          random: ctx.jobRandom(),
          now,
        });
        batches.set(job.id, job);
        ctx.jobs.add(job);
        return { body: job.toBatch(now) };
      },
    },
    {
      name: 'vector_stores.file_batches.retrieve',
      method: 'GET',
      path: '/vector_stores/:vector_store_id/file_batches/:batch_id',
      jobParam: 'batch_id',
      handle: ({ params, now }) => ({
        body: findBatch(params.vector_store_id!, params.batch_id!).toBatch(now),
      }),
    },
    {
      name: 'vector_stores.file_batches.cancel',
      method: 'POST',
      path: '/vector_stores/:vector_store_id/file_batches/:batch_id/cancel',
      jobParam: 'batch_id',
      handle: ({ params, now }) => {
        const batch = findBatch(params.vector_store_id!, params.batch_id!);
        batch.cancel(now);
        ctx.jobs.replanned(batch);
        return { body: batch.toBatch(now) };
      },
    },
    {
      name: 'vector_stores.file_batches.files',
      method: 'GET',
      path: '/vector_stores/:vector_store_id/file_batches/:batch_id/files',
      jobParam: 'batch_id',
      handle: ({ params, query, now }) => {
        const filter = query.get('filter');
        const files = findBatch(params.vector_store_id!, params.batch_id!)
          .files(now)
          .filter((f) => !filter || f.status === filter);
        return { body: paginate(files, query) };
      },
    },
  ];
}
