import type { FileStore } from './files/file-store.js';
import type { IdFactory } from './ids.js';
import type { JobRegistry } from './jobs/registry.js';
import type { Random } from './scenario/random.js';
import type { Scenario } from './scenario/scenario.js';
import type { SimClock } from './time/clock.js';

/** What every endpoint handler shares: the clock, ids, jobs, files, and how a new job gets its script and dice. */
export interface SimContext {
  readonly clock: SimClock;
  readonly ids: IdFactory;
  readonly jobs: JobRegistry;
  /** Uploaded files and the files batches write. */
  readonly files: FileStore;
  /**
   * The scenario for a new job of `kind` (its own name, as in `kinds.ts`) with this metadata; throws a 400 when it
   * does not validate.
   */
  scenarioFor(kind: string, metadata: Record<string, string> | null): Scenario;
  /** A fresh random stream for the next job, independent of every other job's. */
  jobRandom(): Random;
}
