// Benchmark: batchResults() on large result files. Peak memory against file size (5,000 vs 50,000 lines: flat
// means the read holds a line, not the file) and lines per second, against the naive read of the same file
// (files.content().text(), split, parse every line) measured in the same run. Each read runs in a fresh child
// process (--expose-gc) so its heap holds nothing else; the simulator serves the files from this process.
// Run: npm run bench:batch-results
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '../src/sim/index.js';
import type { ReaderReport } from './lib/batch-results-reader.js';
import { writeDocSection } from './lib/doc-markers.js';

const SIZES = [5_000, 50_000];
const REPEATS = 3;
const MODES = ['stream', 'whole'] as const;
const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const READER = fileURLToPath(new URL('./lib/batch-results-reader.ts', import.meta.url));

const sim = await startSimulator({ clock: 'manual', seed: 1 });
const client = (await import('openai')).default;
const api = new client({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0 });

async function endedBatch(requests: number): Promise<string> {
  const b = await api.batches.create({
    input_file_id: 'file-bench',
    endpoint: '/v1/responses',
    completion_window: '24h',
    metadata: {
      sim_scenario: JSON.stringify({
        anyInputFile: true,
        requests,
        failedRequests: 0,
        phases: { validating: 10, in_progress: 100, finalizing: 10 },
      }),
    },
  });
  return b.id;
}

const warmUp = await endedBatch(500);
const batches = new Map<number, string>();
for (const n of SIZES) batches.set(n, await endedBatch(n));
await sim.clock.advance(10_000);
const bytes = new Map<number, number>();
for (const [n, id] of batches) {
  const b = await api.batches.retrieve(id);
  bytes.set(n, (await api.files.retrieve(b.output_file_id!)).bytes);
}

function measure(id: string, mode: (typeof MODES)[number]): Promise<ReaderReport> {
  return new Promise((resolve, reject) => {
    const child = fork(READER, [sim.baseURL, id, warmUp, mode], {
      execArgv: [...process.execArgv, '--expose-gc'],
    });
    child.once('message', (m) => resolve(m as ReaderReport));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`reader exited with ${code}`));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const rows: { mode: string; n: number; lines: number; heap: number; rss: number; linesPerS: number }[] = [];
for (const mode of MODES) {
  for (const n of SIZES) {
    const reports: ReaderReport[] = [];
    for (let r = 0; r < REPEATS; r++) reports.push(await measure(batches.get(n)!, mode));
    if (reports.some((x) => x.lines !== n))
      throw new Error(`${mode} read ${reports.map((x) => x.lines)} lines of ${n}`);
    rows.push({
      mode,
      n,
      lines: n,
      heap: median(reports.map((x) => x.heapGrowth)),
      rss: median(reports.map((x) => x.rssGrowth)),
      linesPerS: median(reports.map((x) => (x.lines / x.ms) * 1000)),
    });
    process.stderr.write(`${mode} ${n}: done\n`);
  }
}
await sim.close();

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const row = (mode: string, n: number) => rows.find((r) => r.mode === mode && r.n === n)!;
const [small, large] = SIZES as [number, number];
const lines: string[] = [];
lines.push(
  `Files of ${small.toLocaleString('en-US')} and ${large.toLocaleString('en-US')} result lines (${mib(bytes.get(small)!)} and ${mib(bytes.get(large)!)}), served by the simulator over HTTP; each read in a fresh process, median of ${REPEATS}. Growth: peak during the read minus the value just before it, after a full GC.`,
  '',
  '| read | lines | peak heap growth | peak RSS growth | lines/s |',
  '| --- | ---: | ---: | ---: | ---: |',
);
for (const r of rows) {
  const label =
    r.mode === 'stream'
      ? '`batchResults()` (line by line)'
      : 'naive: `files.content().text()`, split, parse all';
  lines.push(
    `| ${label} | ${r.n.toLocaleString('en-US')} | ${mib(r.heap)} | ${mib(r.rss)} | ${Math.round(r.linesPerS).toLocaleString('en-US')} |`,
  );
}
const growth = (mode: string) => row(mode, large).heap / Math.max(1, row(mode, small).heap);
lines.push(
  '',
  `Heap growth from ${small.toLocaleString('en-US')} to ${large.toLocaleString('en-US')} lines: ×${growth('stream').toFixed(2)} with \`batchResults()\`, ×${growth('whole').toFixed(2)} with the naive read (the file is ×${(bytes.get(large)! / bytes.get(small)!).toFixed(1)}). Speed at ${large.toLocaleString('en-US')} lines: ${Math.round(row('stream', large).linesPerS).toLocaleString('en-US')} lines/s, ${(row('stream', large).linesPerS / row('whole', large).linesPerS).toFixed(2)}× the naive read's.`,
);
const body = lines.join('\n');
process.stdout.write(`${body}\n`);
if (!writeDocSection(DOC, 'Batch results', 'batch-results', body))
  process.stderr.write(`no "## Batch results" section in ${DOC}\n`);
