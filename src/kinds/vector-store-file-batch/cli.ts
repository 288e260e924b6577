import { type CommandLineFlag, idPair, type KindCommandLine } from '../command-line.js';

const FLAG: CommandLineFlag = { name: 'file-batch', value: 'VS_ID/BATCH_ID' };

/** `runstate watch --file-batch VS_ID/BATCH_ID`. */
export const vectorStoreFileBatchCommandLine: KindCommandLine<{
  kind: 'vector_store.file_batch';
  vectorStoreId: string;
  batchId: string;
}> = {
  flags: [FLAG],
  help: ['a vector store file batch (OpenAI sends no webhooks for these: use poll)'],
  toRef(values) {
    const ids = idPair(values[FLAG.name], FLAG);
    return typeof ids === 'string'
      ? ids
      : { kind: 'vector_store.file_batch', vectorStoreId: ids[0], batchId: ids[1] };
  },
};
