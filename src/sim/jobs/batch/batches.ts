import type { Batch, BatchCreateParams } from 'openai/resources/batches';
import type { FileObject } from 'openai/resources/files';
import type { SimContext } from '../../context.js';
import { type FileStore, noSuchFile } from '../../files/file-store.js';
import type { Random } from '../../scenario/random.js';
import { drawOutcome, sampleDuration, samplePhase } from '../../scenario/sample.js';
import type { Scenario } from '../../scenario/scenario.js';
import { optionalMetadata, requireString } from '../../server/body.js';
import { badRequest, notFound } from '../../server/errors.js';
import type { RouteDef } from '../../server/route.js';
import { type JobEvent, type SimJob, toUnix } from '../job.js';
import { paginate } from '../list.js';
import { Plan, type Step, StepBuilder } from '../plan.js';
import { asSdk } from '../wire.js';
import { BatchRequests } from './batch-requests.js';

type BatchStatus = Batch['status'];

const TERMINAL: ReadonlySet<string> = new Set(['failed', 'completed', 'expired', 'cancelled']);
const CANCELLABLE: ReadonlySet<string> = new Set(['validating', 'in_progress', 'finalizing']);
const WEBHOOK_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'expired', 'cancelled']);
/** `completion_window: '24h'`. */
export const BATCH_EXPIRES_AFTER_MS = 24 * 3_600_000;

/** `CreateBatchRequest.endpoint`'s enum in openai-openapi 2.3.0 (the SDK's `BatchCreateParams['endpoint']`). */
export const BATCH_ENDPOINTS: readonly BatchCreateParams['endpoint'][] = [
  '/v1/responses',
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/completions',
  '/v1/moderations',
  '/v1/images/generations',
  '/v1/images/edits',
  '/v1/videos',
];

/** What a batch read from its input file: its requests' `custom_id`s and model, or why validation fails. */
export interface BatchInput {
  customIds: string[];
  model: string | undefined;
  /** A line that is not JSON (1-based), or an empty file: the batch fails `validating` with this error. */
  invalid?: { code: string; message: string; line: number | null };
}

/** Reads an uploaded JSONL input file. */
export function readBatchInput(chunks: Iterable<string | Buffer>): BatchInput {
  let text = '';
  for (const chunk of chunks) text += chunk.toString();
  const customIds: string[] = [];
  let model: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let parsed: { custom_id?: unknown; body?: { model?: unknown } };
    try {
      parsed = JSON.parse(line);
    } catch {
      return {
        customIds,
        model,
        invalid: {
          code: 'invalid_json_line',
          message: 'This line is not parseable as valid JSON.',
          line: i + 1,
        },
      };
    }
    customIds.push(
      typeof parsed.custom_id === 'string' ? parsed.custom_id : `request-${customIds.length + 1}`,
    );
    if (model === undefined && typeof parsed.body?.model === 'string') model = parsed.body.model;
  }
  if (customIds.length === 0) {
    return {
      customIds,
      model,
      invalid: { code: 'empty_file', message: 'The input file is empty.', line: null },
    };
  }
  return { customIds, model };
}

/**
 * A batch: validating → in_progress → finalizing → completed; or validating → failed; or in_progress until
 * `expires_at` → expired; cancel: cancelling → cancelled. Its requests finish one by one during `in_progress`
 * (`request_counts` moves), and an ended batch has output and error files in the API's per-line shape.
 */
export class BatchJob implements SimJob {
  readonly kind = 'batch';
  readonly createdAt: number;
  readonly plan: Plan<BatchStatus>;
  readonly requests: BatchRequests;
  private readonly expiryMs: number;
  private readonly workMs: number;
  private readonly outputFileId: string;
  private readonly errorFileId: string;

  constructor(
    readonly id: string,
    private readonly init: {
      endpoint: string;
      inputFileId: string;
      completionWindow: string;
      metadata: Record<string, string> | null;
      scenario: Scenario;
      input: BatchInput | undefined;
      random: Random;
      ids: SimContext['ids'];
      files: FileStore;
      now: number;
    },
  ) {
    const { scenario, random, now, input } = init;
    this.createdAt = now;
    // expires_at - created_at is exactly the window in whole seconds, as the API reports it.
    this.expiryMs =
      Math.floor(now / 1000) * 1000 +
      Math.ceil((scenario.expiresAfterMs ?? BATCH_EXPIRES_AFTER_MS) / 1000) * 1000;
    this.outputFileId = init.ids.make('file-', 22);
    this.errorFileId = init.ids.make('file-', 22);
    this.requests = new BatchRequests({
      total: scenario.requests ?? input?.customIds.length ?? 10,
      customIds: input?.customIds ?? [],
      endpoint: init.endpoint,
      model: input?.model ?? 'gpt-4o-mini',
      scenario,
      lineIdPrefix: init.ids.make('', 24, 'hex'),
      requestIdPrefix: init.ids.make('', 24, 'hex'),
      createdAtUnix: toUnix(now),
    });
    const outcome = input?.invalid ? 'failed' : drawOutcome(scenario, random);
    const b = new StepBuilder<BatchStatus>(now).enter(
      'validating',
      samplePhase(scenario, 'validating', random),
    );
    const inProgressMs = samplePhase(scenario, 'in_progress', random);
    this.workMs = scenario.workMs === undefined ? inProgressMs : sampleDuration(scenario.workMs, random);
    if (outcome === 'failed') b.enter('failed');
    else {
      // A batch that completes stays in_progress until its last request is done.
      b.enter('in_progress', outcome === 'completed' ? Math.max(inProgressMs, this.workMs) : inProgressMs);
      if (outcome === 'cancelled')
        b.enter('cancelling', samplePhase(scenario, 'cancelling', random)).enter('cancelled');
      // 'expired' adds nothing: the batch stays in_progress until capAt expires it.
      else if (outcome !== 'expired')
        b.enter('finalizing', samplePhase(scenario, 'finalizing', random)).enter('completed');
    }
    const [first, ...rest] = b.capAt(this.expiryMs, 'expired', (s) => this.isTerminal(s));
    this.plan = new Plan(first!, rest);
    init.files.addLater(this.outputFileId, (t) => this.resultFile(t, 'output'));
    init.files.addLater(this.errorFileId, (t) => this.resultFile(t, 'error'));
  }

  isTerminal(status: string): boolean {
    return TERMINAL.has(status);
  }

  /** `batch.completed|failed|expired|cancelled`, as OpenAI sends them; nothing for other statuses. */
  eventFor(step: Step): JobEvent | null {
    return WEBHOOK_STATUSES.has(step.status) ? { type: `batch.${step.status}`, data: { id: this.id } } : null;
  }

  /** Starts cancelling at `t`, or throws a 400 when the batch has ended or is already cancelling. */
  cancel(t: number): void {
    const status = this.plan.statusAt(t);
    if (!CANCELLABLE.has(status)) throw badRequest(`Cannot cancel a batch with status '${status}'.`);
    const ms = samplePhase(this.init.scenario, 'cancelling', this.init.random);
    this.plan.replan(t, new StepBuilder<BatchStatus>(t).enter('cancelling', ms).enter('cancelled').steps);
  }

  /** Requests finished by `t`: they run only while `in_progress`; finalizing means all are done. */
  finishedAt(t: number): number {
    const status = this.plan.statusAt(t);
    const start = this.plan.reachedAt('in_progress', t);
    if (start === undefined || status === 'failed') return 0;
    if (status === 'finalizing' || status === 'completed') return this.requests.total;
    const stoppedAt = this.plan.reachedAt('cancelling', t) ?? this.plan.reachedAt('expired', t) ?? t;
    return this.requests.finishedAfter(stoppedAt - start, this.workMs);
  }

  /** The output or error file at `t`: it exists once the batch has ended with lines to put in it. */
  private resultFile(t: number, which: 'output' | 'error') {
    const status = this.plan.statusAt(t);
    if (status !== 'completed' && status !== 'cancelled' && status !== 'expired') return undefined;
    const finished = this.finishedAt(t);
    const counts = this.requests.counts(finished);
    const lines =
      which === 'output'
        ? () => this.requests.outputLines(finished)
        : () => this.requests.errorLines(finished, status);
    const present =
      which === 'output'
        ? counts.completed > 0 || status === 'completed'
        : counts.failed > 0 || finished < this.requests.total;
    if (!present) return undefined;
    this.bytes[which] ??= countBytes(lines());
    return {
      file: asSdk<FileObject>({
        id: which === 'output' ? this.outputFileId : this.errorFileId,
        object: 'file',
        bytes: this.bytes[which],
        created_at: toUnix(this.plan.reachedAt(status, t)!),
        expires_at: null,
        filename: `${this.id}_${which}.jsonl`,
        purpose: 'batch_output',
        status: 'processed',
        status_details: null,
      }),
      content: lines,
    };
  }

  private readonly bytes: { output?: number; error?: number } = {};

  /** The batch as `GET /batches/{id}` returns it at `t`. */
  toBatch(t: number): Batch {
    const { plan, init } = this;
    const status = plan.statusAt(t);
    const at = (s: BatchStatus) => {
      const ms = plan.reachedAt(s, t);
      return ms === undefined ? null : toUnix(ms);
    };
    const failed = status === 'failed';
    const counts = failed ? { total: 0, completed: 0, failed: 0 } : this.requests.counts(this.finishedAt(t));
    const error = init.input?.invalid ?? {
      code: init.scenario.error?.code ?? 'invalid_json_line',
      message: init.scenario.error?.message ?? 'This line is not parseable as valid JSON.',
      line: 1,
    };
    const output = this.resultFile(t, 'output');
    const errors = this.resultFile(t, 'error');
    // Every key, null where there is no value yet, as the API sends a batch.
    return asSdk<Batch>({
      id: this.id,
      object: 'batch',
      endpoint: init.endpoint,
      model: init.input?.model ?? null,
      input_file_id: init.inputFileId,
      completion_window: init.completionWindow,
      status,
      created_at: toUnix(this.createdAt),
      expires_at: toUnix(this.expiryMs),
      in_progress_at: at('in_progress'),
      finalizing_at: at('finalizing'),
      completed_at: at('completed'),
      failed_at: at('failed'),
      expired_at: at('expired'),
      cancelling_at: at('cancelling'),
      cancelled_at: at('cancelled'),
      request_counts: counts,
      metadata: init.metadata ?? {},
      output_file_id: output ? output.file.id : null,
      error_file_id: errors ? errors.file.id : null,
      errors: failed ? { object: 'list', data: [{ ...error, param: null, line: error.line ?? null }] } : null,
      usage: null,
    });
  }
}

function countBytes(lines: Iterable<string>): number {
  let bytes = 0;
  for (const line of lines) bytes += Buffer.byteLength(line);
  return bytes;
}

/**
 * `batches.create`, `batches.retrieve`, `batches.cancel`, `batches.list`. The input file must exist (uploaded
 * with `files.create`, purpose `batch`) unless the scenario says `anyInputFile: true`.
 */
export function batchesRoutes(ctx: SimContext): RouteDef[] {
  const batches = new Map<string, BatchJob>();
  const find = (id: string) => {
    const job = batches.get(id);
    if (!job) throw notFound('batch', id);
    return job;
  };
  return [
    {
      name: 'batches.create',
      method: 'POST',
      path: '/batches',
      handle: ({ body, now }) => {
        const inputFileId = requireString(body, 'input_file_id');
        const endpoint = requireString(body, 'endpoint');
        const completionWindow = requireString(body, 'completion_window');
        if (!(BATCH_ENDPOINTS as string[]).includes(endpoint)) {
          throw badRequest(
            `Invalid value for 'endpoint': expected one of ${BATCH_ENDPOINTS.join(', ')}, got '${endpoint}'.`,
            'endpoint',
          );
        }
        if (completionWindow !== '24h') {
          throw badRequest(
            `Invalid value for 'completion_window': expected '24h', got '${completionWindow}'.`,
            'completion_window',
          );
        }
        const metadata = optionalMetadata(body);
        const scenario = ctx.scenarioFor('batch', metadata);
        const stored = ctx.files.get(inputFileId, now);
        if (!stored && !scenario.anyInputFile) throw noSuchFile(inputFileId, 'input_file_id');
        if (stored && stored.file.purpose !== 'batch') {
          throw badRequest(
            `The input file must have purpose 'batch', got '${stored.file.purpose}'.`,
            'input_file_id',
          );
        }
        const job = new BatchJob(ctx.ids.make('batch_', 32, 'hex'), {
          endpoint,
          inputFileId,
          completionWindow,
          metadata,
          scenario,
          input: stored ? readBatchInput(stored.content()) : undefined,
          random: ctx.jobRandom(),
          ids: ctx.ids,
          files: ctx.files,
          now,
        });
        batches.set(job.id, job);
        ctx.jobs.add(job);
        return { body: job.toBatch(now) };
      },
    },
    {
      name: 'batches.retrieve',
      method: 'GET',
      path: '/batches/:batch_id',
      jobParam: 'batch_id',
      handle: ({ params, now }) => ({ body: find(params.batch_id!).toBatch(now) }),
    },
    {
      name: 'batches.cancel',
      method: 'POST',
      path: '/batches/:batch_id/cancel',
      jobParam: 'batch_id',
      handle: ({ params, now }) => {
        const job = find(params.batch_id!);
        job.cancel(now);
        ctx.jobs.replanned(job);
        return { body: job.toBatch(now) };
      },
    },
    {
      name: 'batches.list',
      method: 'GET',
      path: '/batches',
      // Newest first, paged with `after` and `limit` (1–100, default 20).
      handle: ({ query, now }) => ({
        body: paginate(
          [...batches.values()].map((b) => b.toBatch(now)),
          query,
        ),
      }),
    },
  ];
}
