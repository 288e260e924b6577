import type { Scenario } from '../../scenario/scenario.js';
import { unsetResponseKeys } from '../response/unset-keys.js';

/**
 * One line of a batch's output or error file, as the API writes it (`BatchRequestOutput` in openai-openapi
 * 2.3.0 at 498c71d; the SDK has no type for it).
 */
export interface BatchRequestLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: Record<string, unknown> } | null;
  error: { code: string; message: string } | null;
}

/** Why requests that never ran appear in the error file (the API's codes). */
const UNPROCESSED: Record<'cancelled' | 'expired', { code: string; message: string }> = {
  cancelled: {
    code: 'batch_cancelled',
    message: 'This request was not executed because the batch was cancelled.',
  },
  expired: {
    code: 'batch_expired',
    message: 'This request could not be executed before the completion window expired.',
  },
};

/** Which requests of a batch fail, answered in O(1) (a count) or O(log n) (explicit indexes). */
class FailureSet {
  private readonly sorted: number[] | undefined;

  constructor(
    private readonly total: number,
    spec: number | readonly number[] | undefined,
  ) {
    this.count = typeof spec === 'number' ? Math.min(spec, total) : 0;
    this.sorted = Array.isArray(spec)
      ? [...new Set(spec)].filter((i) => i < total).sort((a, b) => a - b)
      : undefined;
  }

  private readonly count: number;

  /** Failures among requests 0..k-1. A count is spread evenly: request i fails when ⌊(i+1)f/n⌋ > ⌊if/n⌋. */
  among(k: number): number {
    if (this.sorted) {
      let lo = 0;
      let hi = this.sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.sorted[mid]! < k) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
    return this.total === 0 ? 0 : Math.floor((k * this.count) / this.total);
  }

  has(i: number): boolean {
    return this.among(i + 1) > this.among(i);
  }
}

/** What a batch's requests are: how many, their ids, which fail, what they answer. */
export interface BatchRequestsInit {
  total: number;
  /** `custom_id`s read from the input file; requests past its end are `request-<n>`. */
  customIds: readonly string[];
  endpoint: string;
  model: string;
  scenario: Scenario;
  /** Hex strings that make the per-line ids unique to this batch. */
  lineIdPrefix: string;
  requestIdPrefix: string;
  createdAtUnix: number;
}

/**
 * A batch's requests: they finish evenly over the work time from the start of `in_progress`, some scripted to
 * fail. Lines are written on demand, so a 50,000-request result file costs a loop, not 50,000 stored objects.
 */
export class BatchRequests {
  readonly total: number;
  private readonly failures: FailureSet;
  private bodyJson: string | undefined;

  constructor(private readonly init: BatchRequestsInit) {
    this.total = init.total;
    this.failures = new FailureSet(init.total, init.scenario.failedRequests);
  }

  /** Requests finished (either way) `elapsedMs` into a work time of `workMs`. */
  finishedAfter(elapsedMs: number, workMs: number): number {
    if (elapsedMs < 0) return 0;
    if (workMs <= 0 || elapsedMs >= workMs) return this.total;
    return Math.floor((this.total * elapsedMs) / workMs);
  }

  /** `request_counts` once the first `finished` requests are done. */
  counts(finished: number): { total: number; completed: number; failed: number } {
    const failed = this.failures.among(finished);
    return { total: this.total, completed: finished - failed, failed };
  }

  /** The output file's lines: every successful request among the first `finished`. */
  *outputLines(finished: number): Generator<string> {
    const malformed = new Set(this.init.scenario.malformedOutputLines ?? []);
    let line = 0;
    for (let i = 0; i < finished; i++) {
      if (this.failures.has(i)) continue;
      const text = this.successLine(i);
      // A scripted malformed line: the object cut off halfway, as a truncated download would leave it.
      yield malformed.has(++line) ? `${text.slice(0, text.length >> 1)}\n` : `${text}\n`;
    }
  }

  /** The error file's lines: failed requests, then those that never ran because the batch `ended` early. */
  *errorLines(finished: number, ended: 'completed' | 'cancelled' | 'expired'): Generator<string> {
    for (let i = 0; i < finished; i++) if (this.failures.has(i)) yield `${this.failureLine(i)}\n`;
    if (ended === 'completed') return;
    const error = JSON.stringify(UNPROCESSED[ended]);
    for (let i = finished; i < this.total; i++) {
      yield `{"id":${JSON.stringify(this.lineId(i))},"custom_id":${JSON.stringify(this.customId(i))},"response":null,"error":${error}}\n`;
    }
  }

  customId(i: number): string {
    return this.init.customIds[i] ?? `request-${i + 1}`;
  }

  private lineId(i: number): string {
    return `batch_req_${this.init.lineIdPrefix}${i.toString(16).padStart(8, '0')}`;
  }

  private requestId(i: number): string {
    return `req_${this.init.requestIdPrefix}${i.toString(16).padStart(8, '0')}`;
  }

  private successLine(i: number): string {
    this.bodyJson ??= JSON.stringify(this.init.scenario.responseBody ?? defaultBody(this.init));
    return `{"id":${JSON.stringify(this.lineId(i))},"custom_id":${JSON.stringify(this.customId(i))},"response":{"status_code":200,"request_id":${JSON.stringify(this.requestId(i))},"body":${this.bodyJson}},"error":null}`;
  }

  private failureLine(i: number): string {
    const spec = this.init.scenario.requestError ?? {};
    const code = spec.code ?? (spec.status === undefined ? 'server_error' : null);
    const message = spec.message ?? 'The server had an error while processing your request.';
    const line: BatchRequestLine =
      spec.status === undefined
        ? { id: this.lineId(i), custom_id: this.customId(i), response: null, error: { code: code!, message } }
        : {
            id: this.lineId(i),
            custom_id: this.customId(i),
            response: {
              status_code: spec.status,
              request_id: this.requestId(i),
              body: {
                error: {
                  message,
                  type: spec.status >= 500 ? 'server_error' : 'invalid_request_error',
                  param: null,
                  code,
                },
              },
            },
            error: null,
          };
    return JSON.stringify(line);
  }
}

/** A small answer of the endpoint's own type, the same for every request (its text is the scenario's `reply`). */
function defaultBody({
  endpoint,
  model,
  scenario,
  createdAtUnix,
}: BatchRequestsInit): Record<string, unknown> {
  const text = scenario.reply ?? 'Done.';
  switch (endpoint) {
    case '/v1/responses':
      // A whole Response, as the API writes it (the SDK's `output_text` helper is not part of the JSON).
      return {
        id: 'resp_batch',
        object: 'response',
        created_at: createdAtUnix,
        status: 'completed',
        background: false,
        completed_at: createdAtUnix,
        error: null,
        incomplete_details: null,
        instructions: null,
        metadata: {},
        model,
        output: [
          {
            id: 'msg_batch',
            type: 'message',
            role: 'assistant',
            status: 'completed',
            phase: null,
            content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
          },
        ],
        parallel_tool_calls: true,
        temperature: 1,
        top_p: 1,
        tool_choice: 'auto',
        tools: [],
        text: { format: { type: 'text' }, verbosity: 'medium' },
        truncation: 'disabled',
        ...unsetResponseKeys(),
        usage: {
          input_tokens: 8,
          input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
          output_tokens: 2,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 10,
        },
      };
    case '/v1/chat/completions':
      return {
        id: 'chatcmpl-batch',
        object: 'chat.completion',
        created: createdAtUnix,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: text, refusal: null },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 },
      };
    case '/v1/embeddings':
      return {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: [0.0123, -0.0456, 0.0789] }],
        model,
        usage: { prompt_tokens: 8, total_tokens: 8 },
      };
    case '/v1/completions':
      return {
        id: 'cmpl-batch',
        object: 'text_completion',
        created: createdAtUnix,
        model,
        choices: [{ index: 0, text, finish_reason: 'stop', logprobs: null }],
      };
    case '/v1/moderations':
      return {
        id: 'modr-batch',
        model,
        results: [{ flagged: false, categories: {}, category_scores: {} }],
      };
    default:
      return { created: createdAtUnix, data: [] };
  }
}
