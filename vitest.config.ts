import { defineConfig } from 'vitest/config';

// CI asks for a JSON report too, to print a plain "N passed, N failed" closing line.
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Vitest's default is one worker less than the cores: one file at a time on these 2-core machines. Most files
    // spend their time waiting (a simulator clock, child processes, Redis), so three files at a time keep both cores
    // busy.
    maxWorkers: 3,
    // Bundles the CLI once for the tests that start it as a child process.
    globalSetup: ['test/setup/cli-bundle.ts'],
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
  },
});
