import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// CI asks for a JSON report too, to print a plain "N passed, N failed" closing line.
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // A worker runs its files one after the other in one process, without a fresh module graph each: a new process
    // per file cost about as much CPU as the tests themselves (114 s against 59 s for the suite). Every file
    // restores what it changes (real timers after fake ones, stubbed env, listeners, servers closed in afterAll).
    isolate: false,
    // Vitest's default is one worker less than the cores: one file at a time on a 2-core machine. Most files spend
    // their time waiting (a simulator clock, child processes, Redis), so at least three files at a time keep two
    // cores busy.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    // Bundles the CLI once for the tests that start it as a child process.
    globalSetup: ['test/setup/cli-bundle.ts'],
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
  },
});
