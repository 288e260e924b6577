import type { Response, ResponseError, ResponseStatus } from 'openai/resources/responses/responses';
import { optionalBoolean, optionalMetadata, optionalString, requireString } from '../body.js';
import type { SimContext } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import type { IdFactory } from '../ids.js';
import type { Random } from '../random.js';
import type { RouteDef } from '../route.js';
import { drawOutcome, type Outcome, type Scenario, samplePhase } from '../scenario.js';
import { type JobEvent, type SimJob, toUnix, unixIfReached } from './job.js';
import { Plan, type Step, StepBuilder } from './plan.js';

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled', 'incomplete']);

/**
 * A Responses API response in background mode: queued → in_progress → outcome. Cancelling is immediate
 * (Responses have no `cancelling` status). Without `background` the response is answered already finished.
 */
export class ResponseJob implements SimJob {
  readonly kind = 'response';
  readonly createdAt: number;
  readonly plan: Plan<ResponseStatus>;
  private readonly outputId: string;

  constructor(
    readonly id: string,
    private readonly init: {
      background: boolean;
      model: string;
      instructions: string | null;
      metadata: Record<string, string> | null;
      scenario: Scenario;
      random: Random;
      ids: IdFactory;
      now: number;
    },
  ) {
    const { scenario, random, now } = init;
    this.createdAt = now;
    this.outputId = init.ids.make('msg_', 48, 'hex');
    const outcome: Outcome = drawOutcome(scenario, random);
    const b = new StepBuilder<ResponseStatus>(now);
    if (init.background) {
      b.enter('queued', samplePhase(scenario, 'queued', random)).enter(
        'in_progress',
        samplePhase(scenario, 'in_progress', random),
      );
    } else {
      // A synchronous response is only returned once it is done: the whole script collapses into the create.
      b.enter('in_progress');
    }
    b.enter(outcome === 'expired' ? 'failed' : outcome);
    const [first, ...rest] = b.steps;
    this.plan = new Plan(first!, rest);
  }

  isTerminal(status: string): boolean {
    return TERMINAL.has(status);
  }

  /** `response.completed|failed|cancelled|incomplete`, as OpenAI sends them; nothing for other statuses. */
  eventFor(step: Step): JobEvent | null {
    return this.isTerminal(step.status) ? { type: `response.${step.status}`, data: { id: this.id } } : null;
  }

  /**
   * Cancels at `t`. Idempotent: a response already finished is returned unchanged. Only background responses
   * can be cancelled.
   */
  cancel(t: number): void {
    if (!this.init.background) throw badRequest('Cannot cancel a synchronous response.');
    if (this.isTerminal(this.plan.statusAt(t))) return;
    this.plan.replan(t, [{ status: 'cancelled', at: t }]);
  }

  /** The response as `GET /responses/{id}` returns it at `t`. */
  toResponse(t: number): Response {
    const { init } = this;
    const status = this.plan.statusAt(t);
    const completed = status === 'completed';
    const text = init.scenario.reply ?? 'This is a simulated reply.';
    return {
      id: this.id,
      object: 'response',
      created_at: toUnix(this.createdAt),
      status,
      background: init.background,
      completed_at: unixIfReached(this.plan, 'completed', t),
      error: status === 'failed' ? responseError(init.scenario) : null,
      incomplete_details:
        status === 'incomplete'
          ? { reason: (init.scenario.incompleteReason ?? 'max_output_tokens') as 'max_output_tokens' }
          : null,
      instructions: init.instructions,
      metadata: init.metadata ?? {},
      model: init.model,
      output: completed
        ? [
            {
              id: this.outputId,
              type: 'message',
              role: 'assistant',
              status: 'completed',
              content: [{ type: 'output_text', text, annotations: [] }],
            },
          ]
        : [],
      output_text: completed ? text : '',
      parallel_tool_calls: true,
      temperature: 1,
      top_p: 1,
      tool_choice: 'auto',
      tools: [],
      text: { format: { type: 'text' } },
      truncation: 'disabled',
      usage: completed
        ? {
            input_tokens: 20,
            input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
            output_tokens: 10,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: 30,
          }
        : undefined,
    };
  }
}

function responseError(scenario: Scenario): ResponseError {
  return {
    code: (scenario.error?.code ?? 'server_error') as ResponseError['code'],
    message: scenario.error?.message ?? 'The model failed to generate a response.',
  };
}

/** `responses.create` (background or not), `responses.retrieve`, `responses.cancel`. */
export function responsesRoutes(ctx: SimContext): RouteDef[] {
  const responses = new Map<string, ResponseJob>();
  const find = (id: string) => {
    const job = responses.get(id);
    if (!job) throw notFound('response', id);
    return job;
  };
  return [
    {
      name: 'responses.create',
      method: 'POST',
      path: '/responses',
      handle: ({ body, now }) => {
        if (body.stream === true) {
          throw badRequest(
            'The runstate simulator does not stream (stream: true); poll or use webhooks.',
            'stream',
          );
        }
        const metadata = optionalMetadata(body);
        const job = new ResponseJob(ctx.ids.make('resp_', 48, 'hex'), {
          background: optionalBoolean(body, 'background') ?? false,
          model: requireString(body, 'model'),
          instructions: optionalString(body, 'instructions'),
          metadata,
          scenario: ctx.scenarioFor('response', metadata),
          random: ctx.jobRandom(),
          ids: ctx.ids,
          now,
        });
        responses.set(job.id, job);
        ctx.jobs.add(job);
        return { body: job.toResponse(now) };
      },
    },
    {
      name: 'responses.retrieve',
      method: 'GET',
      path: '/responses/:response_id',
      jobParam: 'response_id',
      handle: ({ params, query, now }) => {
        if (query.get('stream') === 'true') {
          throw badRequest(
            'The runstate simulator does not stream (stream: true); poll or use webhooks.',
            'stream',
          );
        }
        return { body: find(params.response_id!).toResponse(now) };
      },
    },
    {
      name: 'responses.cancel',
      method: 'POST',
      path: '/responses/:response_id/cancel',
      jobParam: 'response_id',
      handle: ({ params, now }) => {
        const job = find(params.response_id!);
        job.cancel(now);
        ctx.jobs.replanned(job);
        return { body: job.toResponse(now) };
      },
    },
  ];
}
