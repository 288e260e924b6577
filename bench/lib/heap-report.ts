// Loaded into bench/queue.ts's worker processes (node --expose-gc --import): every BENCH_HEAP_EVERY_MS ms (10 s), a full
// collection and the heap used after it, as a line `heap <bytes>` on stdout, so the bench can tell a flat worker
// heap from a growing one over a long run. Bench only: a full GC every few seconds is not what a worker should do.
const EVERY_MS = Number(process.env.BENCH_HEAP_EVERY_MS ?? 10_000);
const collect = (globalThis as { gc?: () => void }).gc;
if (collect) {
  // The bench may exit before a worker it stopped: a line written after it is lost, not a crash.
  process.stdout.on('error', () => {});
  setInterval(() => {
    collect();
    process.stdout.write(`heap ${process.memoryUsage().heapUsed}\n`);
  }, EVERY_MS).unref();
}

export {};
