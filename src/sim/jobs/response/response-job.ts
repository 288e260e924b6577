import type {
  Response,
  ResponseError,
  ResponseStatus,
  ResponseUsage,
} from 'openai/resources/responses/responses';
import type { IdFactory } from '../../ids.js';
import type { Random } from '../../scenario/random.js';
import { drawOutcome, sampleDuration, samplePhase } from '../../scenario/sample.js';
import type { Outcome, Scenario } from '../../scenario/scenario.js';
import { badRequest } from '../../server/errors.js';
import { type JobEvent, type SimJob, toUnix, unixIfReached } from '../job.js';
import { Plan, type Step, StepBuilder } from '../plan.js';
import { unsetResponseKeys } from './unset-keys.js';

const DEFAULT_REPLY = 'This is a simulated reply.';

/** Cuts a text into words, each with the spaces after it: the deltas of a reply scripted without them. */
function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled', 'incomplete']);

/**
 * A Responses API response in background mode: queued → in_progress → outcome. Cancelling is immediate
 * (Responses have no `cancelling` status). Without `background` the response is answered already finished.
 */
export class ResponseJob implements SimJob {
  readonly kind = 'response';
  readonly createdAt: number;
  readonly plan: Plan<ResponseStatus>;
  /** The whole reply, as scripted. */
  readonly text: string;
  /** When the server ends the response for missing its completion window, if it does. */
  readonly windowEndsAt: number | undefined;
  private readonly outputId: string;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly id: string,
    private readonly init: {
      background: boolean;
      /** Created with `stream: true`: only such a response can be streamed again (`?stream=true`). */
      stream?: boolean;
      /**
       * The length of a discounted `completion_window` (`2h`, `8h`), in ms; null or absent for `soonest`. The server
       * keeps the deadline: a response still running at `created_at` + the window ends `failed`.
       */
      windowMs?: number | null;
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
    const pieces = scenario.stream?.deltas ?? words(scenario.reply ?? DEFAULT_REPLY);
    this.text = pieces.join('');
    const b = new StepBuilder<ResponseStatus>(now);
    let start = now;
    let working = 0;
    if (init.background) {
      b.enter('queued', samplePhase(scenario, 'queued', random));
      start = b.end;
      working = samplePhase(scenario, 'in_progress', random);
    }
    // Drawn after the phases, and only for streamed responses, so other jobs keep their random draws.
    const gaps =
      init.stream && scenario.stream?.everyMs !== undefined
        ? pieces.map(() => sampleDuration(scenario.stream!.everyMs!, random))
        : undefined;
    if (gaps)
      working = Math.max(
        working,
        gaps.reduce((a, g) => a + g, 0),
      );
    // A synchronous response is only returned once it is done: the whole script collapses into the create.
    b.enter('in_progress', working);
    b.enter(outcome === 'expired' ? 'failed' : outcome);
    let steps = b.steps;
    if (init.windowMs) {
      // Counted from `created_at` as the object shows it (whole seconds), so a client can compute the same moment.
      const deadline = toUnix(now) * 1000 + init.windowMs;
      steps = b.capAt(deadline, 'failed', (s) => this.isTerminal(s));
      const last = steps[steps.length - 1]!;
      if (!b.steps.includes(last)) this.windowEndsAt = deadline;
    }
    const [first, ...rest] = steps;
    this.plan = new Plan(first!, rest);
    // A failed or incomplete response stops halfway through its text.
    const produced = outcome === 'completed' ? pieces : pieces.slice(0, Math.ceil(pieces.length / 2));
    let t = start;
    this.deltas = produced.map((text, i) => {
      t = gaps ? t + gaps[i]! : start + Math.round(((i + 1) * working) / (pieces.length + 1));
      return { at: t, text };
    });
  }

  /** Whether the response was created with `stream: true` (and so can be streamed again). */
  get streamed(): boolean {
    return this.init.stream === true;
  }

  /** The text pieces the response writes (`response.output_text.delta`) and when, as scripted (a cancel cuts them). */
  readonly deltas: readonly { at: number; text: string }[];

  /** The id of the response's one output message. */
  get messageId(): string {
    return this.outputId;
  }

  /** Calls `fn` when the script is rewritten (a cancel); returns a function that stops it. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The text written by `t`: every delta reached before the response ended. */
  textAt(t: number): string {
    const end = this.plan.final;
    const until = this.isTerminal(end.status) ? Math.min(t, end.at) : t;
    return this.deltas
      .filter((d) => d.at <= until)
      .map((d) => d.text)
      .join('');
  }

  isTerminal(status: string): boolean {
    return TERMINAL.has(status);
  }

  /**
   * `response.completed|failed|cancelled|incomplete`, as OpenAI sends them; nothing for other statuses, and nothing
   * at all for a response created without `background` (its caller already has the answer).
   */
  eventFor(step: Step): JobEvent | null {
    if (!this.init.background) return null;
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
    for (const fn of [...this.listeners]) fn();
  }

  /**
   * Why a failed response failed. Past its completion window: an assumption, since neither the SDK types nor the
   * published spec say what the API answers (ResponseStatus has no `expired`, ResponseError no code for it), so
   * `failed` with the generic `server_error` code and a message naming the window: the one ending the types allow
   * that does not pretend the response was complete, nor cut short by a token limit (`incomplete`).
   */
  private errorAt(t: number): ResponseError {
    if (this.windowEndsAt !== undefined && this.plan.reachedAt('failed', t) === this.windowEndsAt) {
      const hours = Math.round((this.init.windowMs ?? 0) / 3_600_000);
      return {
        code: 'server_error',
        message: `The response did not complete within its ${hours}h completion window.`,
      };
    }
    return responseError(this.init.scenario);
  }

  /** The response as `GET /responses/{id}` returns it at `t`. */
  toResponse(t: number): Response {
    const { init } = this;
    const status = this.plan.statusAt(t);
    const completed = status === 'completed';
    // An incomplete response keeps the text it wrote; a completed one has all of it.
    const written = completed || status === 'incomplete';
    const text = completed ? this.text : this.textAt(t);
    const response: WireResponse = {
      id: this.id,
      // openai 7 types it (null: the implicit Standard processing); openai 6 does not know it.
      access_programs: null,
      object: 'response',
      created_at: toUnix(this.createdAt),
      status,
      background: init.background,
      completed_at: unixIfReached(this.plan, 'completed', t),
      error: status === 'failed' ? this.errorAt(t) : null,
      incomplete_details:
        status === 'incomplete'
          ? { reason: (init.scenario.incompleteReason ?? 'max_output_tokens') as 'max_output_tokens' }
          : null,
      instructions: init.instructions,
      metadata: init.metadata ?? {},
      model: init.model,
      output: written
        ? [
            {
              id: this.outputId,
              type: 'message',
              role: 'assistant',
              status: completed ? 'completed' : 'incomplete',
              phase: null,
              content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
            },
          ]
        : [],
      parallel_tool_calls: true,
      temperature: 1,
      top_p: 1,
      tool_choice: 'auto',
      tools: [],
      text: { format: { type: 'text' }, verbosity: 'medium' },
      truncation: 'disabled',
      ...unsetResponseKeys(),
      usage: completed
        ? {
            input_tokens: 20,
            input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
            output_tokens: 10,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: 30,
          }
        : null,
    };
    // The SDK types `usage` and `user` as absent rather than null, and knows no `store`; `output_text` is its own
    // convenience (it computes it from `output` on every answer), which the raw JSON leaves out.
    return response as unknown as Response;
  }
}

/** A `Response` as both SDK majors type it: openai 7 adds `access_programs`, which openai 6 lacks. */
type SimResponse = Omit<Response, 'access_programs'> & { access_programs: null };

/** A `Response` as the API sends it: no `output_text` (an SDK convenience), null `usage` before the end. */
type WireResponse = Omit<SimResponse, 'output_text' | 'usage' | 'user' | 'prompt_cache_options'> & {
  usage: ResponseUsage | null;
  user: null;
  prompt_cache_options: null;
  store: boolean;
};

function responseError(scenario: Scenario): ResponseError {
  return {
    code: (scenario.error?.code ?? 'server_error') as ResponseError['code'],
    message: scenario.error?.message ?? 'The model failed to generate a response.',
  };
}
