import type { Batch } from 'openai/resources/batches';
import { optionalMetadata, requireString } from '../body.js';
import type { SimContext } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import type { IdFactory } from '../ids.js';
import type { Random } from '../random.js';
import type { RouteDef } from '../route.js';
import { drawOutcome, type Scenario, samplePhase } from '../scenario.js';
import { type JobEvent, type SimJob, toUnix } from './job.js';
import { Plan, type Step, StepBuilder } from './plan.js';

type BatchStatus = Batch['status'];

const TERMINAL: ReadonlySet<string> = new Set(['failed', 'completed', 'expired', 'cancelled']);
const CANCELLABLE: ReadonlySet<string> = new Set(['validating', 'in_progress', 'finalizing']);
const WEBHOOK_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'expired', 'cancelled']);
/** `completion_window: '24h'`. */
export const BATCH_EXPIRES_AFTER_MS = 24 * 3_600_000;

/**
 * A batch: validating → in_progress → finalizing → completed; or validating → failed; or in_progress until
 * `expires_at` → expired; cancel: cancelling → cancelled.
 */
export class BatchJob implements SimJob {
  readonly kind = 'batch';
  readonly createdAt: number;
  readonly plan: Plan<BatchStatus>;
  private readonly expiryMs: number;
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
      random: Random;
      ids: IdFactory;
      now: number;
    },
  ) {
    const { scenario, random, now } = init;
    this.createdAt = now;
    this.expiryMs = Math.ceil((now + (scenario.expiresAfterMs ?? BATCH_EXPIRES_AFTER_MS)) / 1000) * 1000;
    this.outputFileId = init.ids.make('file-', 22);
    this.errorFileId = init.ids.make('file-', 22);
    const outcome = drawOutcome(scenario, random);
    const b = new StepBuilder<BatchStatus>(now).enter(
      'validating',
      samplePhase(scenario, 'validating', random),
    );
    if (outcome === 'failed') b.enter('failed');
    else {
      b.enter('in_progress', samplePhase(scenario, 'in_progress', random));
      if (outcome === 'cancelled')
        b.enter('cancelling', samplePhase(scenario, 'cancelling', random)).enter('cancelled');
      // 'expired' adds nothing: the batch stays in_progress until capAt expires it.
      else if (outcome !== 'expired')
        b.enter('finalizing', samplePhase(scenario, 'finalizing', random)).enter('completed');
    }
    const [first, ...rest] = b.capAt(this.expiryMs, 'expired', (s) => this.isTerminal(s));
    this.plan = new Plan(first!, rest);
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

  /** The batch as `GET /batches/{id}` returns it at `t`. */
  toBatch(t: number): Batch {
    const { plan, init } = this;
    const status = plan.statusAt(t);
    const at = (s: BatchStatus) => {
      const ms = plan.reachedAt(s, t);
      return ms === undefined ? {} : { [`${s}_at`]: toUnix(ms) };
    };
    const total = init.scenario.requests ?? 10;
    const done = status === 'completed' ? total : status === 'finalizing' ? total : 0;
    const failed = status === 'failed';
    return {
      id: this.id,
      object: 'batch',
      endpoint: init.endpoint,
      input_file_id: init.inputFileId,
      completion_window: init.completionWindow,
      status,
      created_at: toUnix(this.createdAt),
      expires_at: toUnix(this.expiryMs),
      ...at('in_progress'),
      ...at('finalizing'),
      ...at('completed'),
      ...at('failed'),
      ...at('expired'),
      ...at('cancelling'),
      ...at('cancelled'),
      request_counts: { total: failed ? 0 : total, completed: done, failed: 0 },
      metadata: init.metadata ?? {},
      ...(status === 'completed' ? { output_file_id: this.outputFileId } : {}),
      ...(status === 'expired' || status === 'cancelled' ? { error_file_id: this.errorFileId } : {}),
      ...(failed
        ? {
            errors: {
              object: 'list',
              data: [
                {
                  code: init.scenario.error?.code ?? 'invalid_json_line',
                  message: init.scenario.error?.message ?? 'This line is not parseable as valid JSON.',
                  line: 1,
                  param: null,
                },
              ],
            },
          }
        : {}),
    };
  }
}

/** `batches.create`, `batches.retrieve`, `batches.cancel`. Any `input_file_id` string is accepted. */
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
        if (completionWindow !== '24h') {
          throw badRequest(
            `Invalid value for 'completion_window': expected '24h', got '${completionWindow}'.`,
            'completion_window',
          );
        }
        const metadata = optionalMetadata(body);
        const job = new BatchJob(ctx.ids.make('batch_', 32, 'hex'), {
          endpoint,
          inputFileId,
          completionWindow,
          metadata,
          scenario: ctx.scenarioFor('batch', metadata),
          random: ctx.jobRandom(),
          ids: ctx.ids,
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
  ];
}
