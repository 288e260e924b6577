import type { KindDemo } from '../sim-kind.js';

/** The demo's file batch: its files are processed, one of them failing, and it completes. */
export const fileBatchDemo: KindDemo = {
  fates: [
    {
      name: 'file-batch',
      label: 'completed',
      expect: 'completed',
      scenario: { phases: { in_progress: [6000, 12_000] }, failedRequests: 1 },
    },
  ],
  async create(client, metadata) {
    // Real files, uploaded as a user would; the scenario rides on the vector store's metadata.
    const files = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        client.files.create({
          file: new File([`Chapter ${i + 1}\n`], `chapter-${i + 1}.txt`),
          purpose: 'assistants',
        }),
      ),
    );
    const store = await client.vectorStores.create({ name: 'demo', metadata });
    const batch = await client.vectorStores.fileBatches.create(store.id, {
      file_ids: files.map((f) => f.id),
    });
    return { kind: 'vector_store.file_batch', vectorStoreId: store.id, batchId: batch.id };
  },
};
