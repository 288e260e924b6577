import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// CI asks for a JSON report too, to print a plain "N passed, N failed" closing line.
const jsonReport = process.env.VITEST_JSON_REPORT;

// A file's name says what it needs beyond Node, as bullmq's *.redis.test.ts do; the unit project is what is left.
const SIM = 'test/**/*.sim.test.ts';
const REDIS = 'test/**/*.redis.test.ts';
const PROCESS = 'test/**/*.process.test.ts';
const BROWSER = 'test/**/*.browser.test.ts';

/**
 * Vitest queues the projects in name order (process, redis, sim, unit), each longest file first. unit's longest
 * file (docs/samples, ~20 s of compiling) then starts last and the run waits for it. The sim project's 29 files,
 * none of them long, go last instead, to fill the workers to the end: on the per-file times of a full run, the
 * whole takes what one longest-first queue over every file takes, where name order takes 8 % more. The browser
 * project (Chromium, and a queue of 200 watches) comes after all of them: started beside the child-process tests,
 * on two cores, it pushed their CLI children past their 20 s timeouts.
 */
const PROJECT_ORDER = ['process', 'redis', 'unit', 'sim', 'browser'];

/** Vitest's own order (failed first, then longest first) inside each project; the projects in PROJECT_ORDER. */
class ProjectOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => PROJECT_ORDER.indexOf(spec.project.name);
    // Array sort is stable: each project keeps the order Vitest gave its files.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // A worker runs its files one after the other in one process, without a fresh module graph each: a new process
    // per file cost about as much CPU as the tests themselves (114 s against 59 s for the suite). Every file
    // restores what it changes (real timers after fake ones, stubbed env, listeners, servers closed in afterAll).
    isolate: false,
    // Vitest's default is one worker less than the cores: one file at a time on a 2-core machine. Most files spend
    // their time waiting (a simulator clock, child processes, Redis), so at least three files at a time keep two
    // cores busy. The projects share these workers: they run together, in one report.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    sequence: { sequencer: ProjectOrder },
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
    // One project per thing a test needs, so `vitest run --project unit` needs nothing running and bundles nothing.
    // A file that needs two goes where the heavier need is: sim and Redis in redis; a child process in process.
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [SIM, REDIS, PROCESS, BROWSER] },
      },
      // Start the simulator in this process: an HTTP server on a free port, driven by the official SDK.
      { extends: true, test: { name: 'sim', include: [SIM] } },
      // Talk to the real Redis on 127.0.0.1:6379 (most also start the simulator).
      { extends: true, test: { name: 'redis', include: [REDIS] } },
      // Drive Debian's chromium (/usr/bin/chromium, installed by .ci/run) with playwright-core; most need Redis too.
      { extends: true, test: { name: 'browser', include: [BROWSER] } },
      // Start child processes: the CLI, examples, doc samples. *.redis.process.test.ts also need Redis.
      {
        extends: true,
        test: {
          name: 'process',
          include: [PROCESS],
          // Bundles the CLI once for the tests that start it; only a run that includes this project pays for it.
          globalSetup: ['test/setup/cli-bundle.ts'],
        },
      },
    ],
  },
});
