import type { VectorStoreFileBatch } from 'openai/resources/vector-stores/file-batches';
import type { VectorStoreFile } from 'openai/resources/vector-stores/files';
import type { Random } from '../../scenario/random.js';
import { drawOutcome, samplePhase } from '../../scenario/sample.js';
import type { Scenario } from '../../scenario/scenario.js';
import { badRequest } from '../../server/errors.js';
import { type JobEvent, type SimJob, toUnix } from '../job.js';
import { Plan, type Step, StepBuilder } from '../plan.js';

type FileBatchStatus = VectorStoreFileBatch['status'];

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'cancelled', 'failed']);

/** Which files fail: `count` spread evenly, or the given 0-based indexes. */
function failingFiles(total: number, spec: number | readonly number[] | undefined): ReadonlySet<number> {
  if (spec === undefined) return new Set();
  if (typeof spec !== 'number') return new Set(spec);
  const n = Math.min(total, Math.max(0, Math.floor(spec)));
  return new Set(Array.from({ length: n }, (_, i) => Math.floor(((i + 1) * total) / n) - 1));
}

/**
 * A vector store file batch: in_progress → completed | failed | cancelled. Its files are processed one by one
 * (`file_counts` moves); a cancel ends it at once, the files not yet done `cancelled`. OpenAI sends no webhook
 * for file batches, and neither does the simulator.
 */
export class FileBatchJob implements SimJob {
  readonly kind = 'vector_store.file_batch';
  readonly createdAt: number;
  readonly plan: Plan<FileBatchStatus>;
  private readonly failing: ReadonlySet<number>;
  private readonly workMs: number;

  constructor(
    readonly id: string,
    private readonly init: {
      vectorStoreId: string;
      fileIds: readonly string[];
      scenario: Scenario;
      random: Random;
      now: number;
    },
  ) {
    const { scenario, random, now } = init;
    this.createdAt = now;
    this.failing = failingFiles(init.fileIds.length, scenario.failedRequests);
    const outcome = drawOutcome(scenario, random);
    this.workMs = Math.max(1, samplePhase(scenario, 'in_progress', random));
    // A batch that fails or is cancelled by its script stops halfway through its files.
    const b = new StepBuilder<FileBatchStatus>(now).enter(
      'in_progress',
      outcome === 'completed' ? this.workMs : Math.round(this.workMs / 2),
    );
    b.enter(outcome === 'completed' ? 'completed' : outcome === 'cancelled' ? 'cancelled' : 'failed');
    const [first, ...rest] = b.steps;
    this.plan = new Plan(first!, rest);
  }

  get vectorStoreId(): string {
    return this.init.vectorStoreId;
  }

  isTerminal(status: string): boolean {
    return TERMINAL.has(status);
  }

  /** None: OpenAI sends no webhook for file batches. */
  eventFor(_step: Step): JobEvent | null {
    return null;
  }

  /** Cancels at `t` (the batch ends `cancelled` at once), or a 400 when it has ended. */
  cancel(t: number): void {
    const status = this.plan.statusAt(t);
    if (TERMINAL.has(status))
      throw badRequest(`Cannot cancel a vector store file batch with status '${status}'.`);
    this.plan.replan(t, [{ status: 'cancelled', at: t }]);
  }

  /** Files processed by `t`: evenly through the work, all of them once completed. */
  private processedAt(t: number): number {
    const total = this.init.fileIds.length;
    const status = this.plan.statusAt(t);
    if (status === 'completed') return total;
    const stop = TERMINAL.has(status) ? this.plan.lastAt(t).at : t;
    return Math.min(total, Math.floor(((stop - this.createdAt) / this.workMs) * total));
  }

  /** Each file's status at `t`, in the batch's order. */
  private fileStatuses(t: number): FileBatchStatus[] {
    const processed = this.processedAt(t);
    const status = this.plan.statusAt(t);
    return this.init.fileIds.map((_, i) => {
      if (i < processed) return this.failing.has(i) ? 'failed' : 'completed';
      // A failed batch fails the files it had not reached; a cancelled one cancels them.
      if (status === 'cancelled') return 'cancelled';
      if (status === 'failed') return 'failed';
      return 'in_progress';
    });
  }

  /** The batch's files as `vectorStores.fileBatches.listFiles` lists them at `t`. */
  files(t: number): VectorStoreFile[] {
    return this.fileStatuses(t).map((status, i) => ({
      id: this.init.fileIds[i]!,
      object: 'vector_store.file',
      created_at: toUnix(this.createdAt),
      vector_store_id: this.init.vectorStoreId,
      status,
      usage_bytes: status === 'completed' ? 1024 : 0,
      last_error:
        status === 'failed' ? { code: 'invalid_file', message: 'The file could not be parsed.' } : null,
      attributes: {},
      chunking_strategy: {
        type: 'static',
        static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 },
      },
    }));
  }

  /** The batch as `GET /vector_stores/{id}/file_batches/{batch_id}` returns it at `t`. */
  toBatch(t: number): VectorStoreFileBatch {
    const counts = { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: this.init.fileIds.length };
    for (const s of this.fileStatuses(t)) counts[s]++;
    return {
      id: this.id,
      object: 'vector_store.files_batch',
      created_at: toUnix(this.createdAt),
      vector_store_id: this.init.vectorStoreId,
      status: this.plan.statusAt(t),
      file_counts: counts,
    };
  }
}
