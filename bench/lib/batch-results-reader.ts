// One measurement of bench/batch-results.ts, in a child process of its own so that its heap holds only the read:
// `fork(this file, [baseURL, batchId, warmUpBatchId, mode])` with --expose-gc; sends one ReaderReport and exits.
// mode 'stream': batchResults, line by line; mode 'whole': the naive way, files.content().text(), split, and
// JSON.parse of every line into an array.
import OpenAI from 'openai';
import { batchResults } from '../../src/batches/results.js';

/** What one read measured. */
export interface ReaderReport {
  lines: number;
  ms: number;
  /** Peak heapUsed / RSS during the read, minus their values just before it (after a full GC), in bytes. */
  heapGrowth: number;
  rssGrowth: number;
}

const [baseURL, batchId, warmUpId, mode] = process.argv.slice(2) as [
  string,
  string,
  string,
  'stream' | 'whole',
];
const client = new OpenAI({ baseURL, apiKey: 'sim', maxRetries: 0 });
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

let peakHeap = 0;
let peakRss = 0;
const sample = () => {
  const m = process.memoryUsage();
  if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  if (m.rss > peakRss) peakRss = m.rss;
};

async function read(id: string): Promise<number> {
  const batch = await client.batches.retrieve(id);
  if (mode === 'stream') {
    let lines = 0;
    await new Promise<void>((resolve, reject) =>
      batchResults(client, batch, { files: ['output'] }).subscribe({
        next: () => {
          // The interval timer runs only between chunks: sample within them too.
          if (++lines % 1000 === 0) sample();
        },
        error: reject,
        complete: resolve,
      }),
    );
    return lines;
  }
  const text = await (await client.files.content(batch.output_file_id!)).text();
  sample();
  const results = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
  sample();
  return results.length;
}

// The same read on a small batch first, so the measure is the read's, not the first import's or JIT's.
await read(warmUpId);
gc();
gc();
const before = process.memoryUsage();
peakHeap = before.heapUsed;
peakRss = before.rss;
const timer = setInterval(sample, 5);
const started = performance.now();
const lines = await read(batchId);
const ms = performance.now() - started;
clearInterval(timer);
sample();
const report: ReaderReport = {
  lines,
  ms,
  heapGrowth: peakHeap - before.heapUsed,
  rssGrowth: peakRss - before.rss,
};
process.send!(report);
process.disconnect();
