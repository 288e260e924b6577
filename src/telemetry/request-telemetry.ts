import type { Attributes, Context, Span } from '@opentelemetry/api';
import { APIError } from 'openai';
import type { KindAdapter, StreamSupport } from '../kinds/spec.js';
import type { Instruments } from './instruments.js';
import type { Logger } from './logger.js';

/** What one request does: the route label of `runstate.requests` and of its span. */
export type RequestRoute = 'retrieve' | 'cancel' | 'submit' | 'stream';

/** How a request ended, as `runstate.requests` counts it: a bounded set. */
export type RequestOutcome = 'ok' | '429' | '5xx' | '4xx' | 'network';

/** Where the requests of one watch (or one durable step) are recorded. */
export interface RequestScope {
  readonly instruments: Instruments | undefined;
  readonly logger: Logger | undefined;
  /** The kind, from its spec: the `kind` attribute. */
  readonly kind: string;
  readonly jobId: string;
  /** Parent of each request span: the watch's or the step's span. */
  readonly parent: Context | undefined;
  /** Failed requests in a row: the retry number of the next one. */
  failures: number;
}

/** The outcome label of a failed SDK call: its HTTP status class, or `network` when no answer came back. */
export function outcomeOf(error: unknown): RequestOutcome {
  const status = error instanceof APIError ? error.status : undefined;
  if (status === undefined) return 'network';
  if (status === 429) return '429';
  if (status >= 500) return '5xx';
  return '4xx';
}

const HINTS = [
  ['retry-after-ms', 'runstate.hint.retry_after_ms'],
  ['retry-after', 'runstate.hint.retry_after'],
  ['openai-poll-after-ms', 'runstate.hint.poll_after_ms'],
] as const;

function recordHints(span: Span, headers: Headers | undefined): void {
  if (!headers || typeof headers.get !== 'function') return;
  for (const [header, attribute] of HINTS) {
    const value = headers.get(header);
    if (value !== null) span.setAttribute(attribute, value);
  }
}

/**
 * Sends one request through `send`, counted in `runstate.requests{kind,route,outcome}` and, with a tracing SDK, as
 * a CLIENT span under the scope's parent: route, retry number, HTTP status, server hints. A read of a kind whose
 * spec names a GenAI operation for it (a response: `get_response`) follows the GenAI conventions' span for it.
 * Errors are rethrown untouched: the request rules classify them.
 */
export async function recordRequest<T>(
  scope: RequestScope,
  route: RequestRoute,
  genAiOperation: string | undefined,
  send: () => Promise<T>,
): Promise<T> {
  const ins = scope.instruments;
  let span: Span | undefined;
  if (ins?.tracing) {
    const attributes: Attributes = {
      'runstate.kind': scope.kind,
      'runstate.route': route,
      'runstate.job.id': scope.jobId,
      'runstate.retry': scope.failures,
    };
    if (genAiOperation) {
      attributes['gen_ai.operation.name'] = genAiOperation;
      attributes['gen_ai.provider.name'] = 'openai';
      attributes['gen_ai.response.id'] = scope.jobId;
    }
    span = ins.tracer.startSpan(
      genAiOperation ?? `runstate.${route}`,
      { kind: ins.api.SpanKind.CLIENT, attributes },
      scope.parent,
    );
  }
  try {
    const result = await send();
    scope.failures = 0;
    ins?.requests.add(1, { kind: scope.kind, route, outcome: 'ok' });
    if (span) recordHints(span, (result as { headers?: Headers } | undefined)?.headers);
    return result;
  } catch (error) {
    scope.failures++;
    const outcome = outcomeOf(error);
    ins?.requests.add(1, { kind: scope.kind, route, outcome });
    if (span) {
      const status = error instanceof APIError ? error.status : undefined;
      if (status !== undefined) span.setAttribute('http.response.status_code', status);
      span.setAttribute('error.type', status === undefined ? 'network' : String(status));
      recordHints(span, error instanceof APIError ? error.headers : undefined);
      span.setStatus({ code: ins!.api.SpanStatusCode.ERROR, message: outcome });
    }
    if (outcome === '429') {
      scope.logger?.warn(
        { event: 'rate_limited', kind: scope.kind, job: scope.jobId, route, retry: scope.failures },
        'runstate: 429 from the API; pausing before the next request',
      );
    } else if (route === 'stream' && outcome !== '4xx') {
      scope.logger?.warn(
        { event: 'reconnect', kind: scope.kind, job: scope.jobId, outcome, retry: scope.failures },
        'runstate: stream connection failed; reconnecting',
      );
    }
    throw error;
  } finally {
    span?.end();
  }
}

/**
 * The adapter as the watch's requests see it: each endpoint (retrieve, cancel, submit, stream) recorded by
 * {@link recordRequest}; everything else is the kind's spec, unchanged (it is the prototype).
 */
// biome-ignore lint/suspicious/noExplicitAny: adapters are heterogeneous; each kind's module is typed
export function instrumentAdapter<A extends KindAdapter<any>>(adapter: A, scope: RequestScope): A {
  const wrapped: A = Object.create(adapter);
  const genAi = adapter.genAiOperations;
  wrapped.retrieve = (client, ref, options) =>
    recordRequest(scope, 'retrieve', genAi?.retrieve, () => adapter.retrieve(client, ref, options));
  wrapped.cancel = (client, ref, options) =>
    recordRequest(scope, 'cancel', genAi?.cancel, () => adapter.cancel(client, ref, options));
  const submit = adapter.submitToolOutputs;
  if (submit) {
    wrapped.submitToolOutputs = (client, ref, outputs, options) =>
      recordRequest(scope, 'submit', genAi?.submit, () =>
        submit.call(adapter, client, ref, outputs, options),
      );
  }
  const stream = (adapter as { stream?: StreamSupport }).stream;
  if (stream) {
    Object.defineProperty(wrapped, 'stream', {
      value: {
        ...stream,
        events: (...args: Parameters<typeof stream.events>) =>
          recordRequest(scope, 'stream', genAi?.stream, () => stream.events(...args)),
      },
    });
  }
  return wrapped;
}
