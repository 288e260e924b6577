import type { VectorStoreFileBatch } from 'openai/resources/vector-stores/file-batches';
import type { JobState } from '../../model/observation.js';
import { progressKey } from '../progress.js';
import { idsProblem, ownRef } from '../ref-ids.js';
import { requestOptions } from '../request-options.js';
import type { KindSpec, PollDefaults, RefLike } from '../spec.js';
import { vectorStoreFileBatchCommandLine } from './cli.js';
import { type FileBatchExtras, fileBatchExtras } from './progress.js';

/** A vector store file batch, by its vector store's id and its own. */
export type VectorStoreFileBatchRef = {
  kind: 'vector_store.file_batch';
  vectorStoreId: string;
  batchId: string;
};

const STATES: Record<VectorStoreFileBatch['status'], JobState> = {
  in_progress: 'in_progress',
  completed: 'completed',
  cancelled: 'cancelled',
  failed: 'failed',
};

const ids = (ref: RefLike): VectorStoreFileBatchRef =>
  ownRef<VectorStoreFileBatchRef>(ref, 'vector_store.file_batch', 'a vector_store.file_batch');

// Files are chunked and embedded in seconds to minutes: from 1 s (the SDK's helper waits a fixed 5 s), growing
// by half up to 5 s, then at least 10% of the batch's age, up to a minute.
const POLL: PollDefaults = {
  initialDelayMs: 1000,
  factor: 1.5,
  maxDelayMs: 5000,
  growth: { share: 0.1, maxDelayMs: 60_000 },
};

/**
 * Vector store file batches (`client.vectorStores.fileBatches`): files counted as they are processed
 * (`file_counts`). OpenAI sends no webhook for them, so `hybrid()` polls them as `poll()` does.
 */
export const vectorStoreFileBatch: KindSpec<
  'vector_store.file_batch',
  VectorStoreFileBatchRef,
  VectorStoreFileBatch,
  FileBatchExtras
> = {
  kind: 'vector_store.file_batch',
  cli: vectorStoreFileBatchCommandLine,
  jobId: (ref) => ids(ref).batchId,
  describe(ref) {
    const { vectorStoreId, batchId } = ids(ref);
    return `file batch ${batchId} of vector store ${vectorStoreId}`;
  },
  refProblem: (ref) => idsProblem(ref, ['vectorStoreId', 'batchId']),
  refFromJobId: (batchId, vectorStoreId) => ({ kind: 'vector_store.file_batch', vectorStoreId, batchId }),
  async retrieve(client, ref, options) {
    const { vectorStoreId, batchId } = ids(ref);
    const { data, response } = await client.vectorStores.fileBatches
      .retrieve(batchId, { vector_store_id: vectorStoreId }, requestOptions(options))
      .withResponse();
    return { job: data, headers: response.headers };
  },
  async cancel(client, ref, options) {
    const { vectorStoreId, batchId } = ids(ref);
    const { data, response } = await client.vectorStores.fileBatches
      .cancel(batchId, { vector_store_id: vectorStoreId }, requestOptions(options))
      .withResponse();
    return { job: data, headers: response.headers };
  },
  status: (b) => b.status,
  mapStatus: (status) => STATES[status as VectorStoreFileBatch['status']],
  expiresAt: () => null,
  toolCalls: () => [],
  // OpenAI sends no webhook for file batches.
  webhookStatus: () => undefined,
  announced(ref, status) {
    const { vectorStoreId, batchId } = ids(ref);
    return {
      id: batchId,
      object: 'vector_store.files_batch',
      status,
      vector_store_id: vectorStoreId,
      announced: true,
    };
  },
  durationDetail: () => undefined,
  // Seconds to minutes of work: a watch waits an hour.
  defaults: { maxWaitMs: 60 * 60_000, poll: POLL, hybridPoll: POLL },
  slimFields: ['id', 'object', 'status', 'created_at', 'vector_store_id', 'file_counts'],
  snapshotExtras: fileBatchExtras,
  progressUnit: 'files',
  extrasKey: progressKey,
};
