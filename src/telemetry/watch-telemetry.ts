import type { Context, Span } from '@opentelemetry/api';
import type { KindAdapter } from '../kinds/spec.js';
import type { RunSnapshot, ToolCall } from '../model/types.js';
import { type Instruments, instruments } from './instruments.js';
import type { Logger } from './logger.js';
import { instrumentAdapter, type RequestScope } from './request-telemetry.js';

/** The options of a watch (and of the queue) that decide what it records. */
export interface TelemetryOptions {
  /**
   * Record spans and metrics through `@opentelemetry/api` (when the application registered an SDK; without one
   * nothing is recorded and it costs next to nothing). `false` turns it off for this watch.
   *
   * @defaultValue `true`
   */
  telemetry?: boolean;
  /** Where operator-facing events go (429 pauses, reconnects, watches ended with an error): pino or `console`. */
  logger?: Logger;
}

/** Runs one tool handler under a span and its metrics; rethrows what it throws. */
export type ToolRecorder = <T>(call: ToolCall, run: () => Promise<T>) => Promise<T>;

/** What a watch tells its recorder. */
export interface WatchTelemetry {
  /** The watch's adapter with every request recorded. */
  // biome-ignore lint/suspicious/noExplicitAny: any kind's adapter
  adapter<A extends KindAdapter<any>>(adapter: A): A;
  /** Each snapshot emitted: a state change is a span event and moves `runstate.watches.active`. */
  observe(snapshot: RunSnapshot): void;
  /** The watch failed (its Observable errors). */
  fail(error: unknown): void;
  /** The watch ended (terminal, stopped or failed): closes the span, counts it ended. Idempotent. */
  end(requests: number): void;
  readonly runTool: ToolRecorder;
}

/** Who a watch is, as its telemetry names it (kind from its spec, never compared). */
export interface WatchIdentity {
  kind: string;
  jobId: string;
  source: string;
  /** The watch's clock (its scheduler), epoch ms. */
  now(): number;
  /** Parent of the watch span; the active context when omitted. */
  parent?: Context;
}

const TERMINAL_TIME_FIELDS: Readonly<Record<string, string>> = {
  completed: 'completed_at',
  failed: 'failed_at',
  cancelled: 'cancelled_at',
  expired: 'expired_at',
  incomplete: 'incomplete_at',
};

/**
 * The job's own end time in epoch ms, where its object carries one: the API names it after the state it ended
 * in (`completed_at`, `failed_at`, ...), in unix seconds, for every kind alike.
 */
export function jobEndedAt(snapshot: RunSnapshot): number | undefined {
  const field = TERMINAL_TIME_FIELDS[snapshot.state];
  const value = field ? (snapshot.job as Record<string, unknown> | undefined)?.[field] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value * 1000 : undefined;
}

/**
 * The recorder of one watch, or undefined when there is nothing to record (`telemetry: false`, or no SDK and no
 * logger): the watch then carries no telemetry object at all.
 */
export function startWatchTelemetry(
  options: TelemetryOptions,
  watch: WatchIdentity,
): WatchTelemetry | undefined {
  if (options.telemetry === false) return undefined;
  const ins = instruments();
  if (!ins && !options.logger) return undefined;
  return new WatchRecorder(ins, options.logger, watch);
}

class WatchRecorder implements WatchTelemetry {
  private readonly span: Span | undefined;
  private readonly startedAt: number;
  private readonly scope: RequestScope;
  private state: string | undefined;
  private terminal: RunSnapshot | undefined;
  private error: unknown;
  private ended = false;

  constructor(
    private readonly ins: Instruments | undefined,
    private readonly logger: Logger | undefined,
    private readonly watch: WatchIdentity,
  ) {
    this.startedAt = watch.now();
    let parent: Context | undefined;
    if (ins?.tracing) {
      const active = watch.parent ?? ins.api.context.active();
      this.span = ins.tracer.startSpan(
        'runstate.watch',
        {
          attributes: {
            'runstate.kind': watch.kind,
            'runstate.job.id': watch.jobId,
            'runstate.source': watch.source,
          },
        },
        active,
      );
      parent = ins.api.trace.setSpan(active, this.span);
    }
    this.scope = { instruments: ins, logger, kind: watch.kind, jobId: watch.jobId, parent, failures: 0 };
  }

  // biome-ignore lint/suspicious/noExplicitAny: any kind's adapter
  adapter<A extends KindAdapter<any>>(adapter: A): A {
    return instrumentAdapter(adapter, this.scope);
  }

  observe(snapshot: RunSnapshot): void {
    if (this.ended) return;
    const { kind } = this.watch;
    if (snapshot.state !== this.state) {
      if (this.state !== undefined) this.ins?.watchesActive.add(-1, { kind, state: this.state });
      this.ins?.watchesActive.add(1, { kind, state: snapshot.state });
      this.span?.addEvent('state', {
        'runstate.state': snapshot.state,
        ...(snapshot.status !== undefined ? { 'runstate.status': snapshot.status } : {}),
      });
      this.state = snapshot.state;
    }
    if (snapshot.done && !this.terminal) {
      this.terminal = snapshot;
      const endedAt = jobEndedAt(snapshot);
      if (endedAt !== undefined) {
        this.ins?.detectionDelay.record(Math.max(0, this.watch.now() - endedAt) / 1000, {
          kind,
          outcome: snapshot.state,
        });
      }
    }
  }

  fail(error: unknown): void {
    this.error = error;
    const code = (error as { code?: unknown } | null)?.code;
    this.logger?.error(
      {
        event: 'watch_failed',
        kind: this.watch.kind,
        job: this.watch.jobId,
        code: typeof code === 'string' ? code : undefined,
        error: error instanceof Error ? error.message : String(error),
      },
      'runstate: a watch ended with an error',
    );
  }

  end(requests: number): void {
    if (this.ended) return;
    this.ended = true;
    const { kind } = this.watch;
    const outcome = this.terminal?.state ?? (this.error !== undefined ? 'error' : 'stopped');
    if (this.state !== undefined) this.ins?.watchesActive.add(-1, { kind, state: this.state });
    this.ins?.watchesEnded.add(1, { kind, outcome });
    this.ins?.watchDuration.record(Math.max(0, this.watch.now() - this.startedAt) / 1000, { kind, outcome });
    if (this.span && this.ins) {
      this.span.setAttributes({ 'runstate.outcome': outcome, 'runstate.requests': requests });
      if (this.error !== undefined) {
        this.span.recordException(this.error instanceof Error ? this.error : String(this.error));
        this.span.setStatus({ code: this.ins.api.SpanStatusCode.ERROR, message: outcome });
      }
      this.span.end();
    }
  }

  readonly runTool: ToolRecorder = (call, run) => recordTool(this.ins, this.scope.parent, call, run);
}

/**
 * Runs one tool handler as the GenAI conventions' `execute_tool` span (tool name, call id; never its arguments),
 * counted in `runstate.tool.calls{tool,outcome}` and timed in `runstate.tool.duration`.
 */
export async function recordTool<T>(
  ins: Instruments | undefined,
  parent: Context | undefined,
  call: ToolCall,
  run: () => Promise<T>,
): Promise<T> {
  if (!ins) return run();
  const span = ins.tracing
    ? ins.tracer.startSpan(
        `execute_tool ${call.name}`,
        {
          attributes: {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': call.name,
            'gen_ai.tool.call.id': call.id,
          },
        },
        parent,
      )
    : undefined;
  const started = performance.now();
  let outcome = 'ok';
  try {
    // Inside the span's context, so that what the handler traces itself (its own HTTP calls) nests under it.
    return await (span
      ? ins.api.context.with(ins.api.trace.setSpan(parent ?? ins.api.context.active(), span), run)
      : run());
  } catch (error) {
    outcome = 'error';
    span?.setAttribute('error.type', (error as { code?: string } | null)?.code ?? 'handler_error');
    span?.setStatus({ code: ins.api.SpanStatusCode.ERROR });
    throw error;
  } finally {
    const attributes = { tool: call.name, outcome };
    ins.toolCalls.add(1, attributes);
    ins.toolDuration.record((performance.now() - started) / 1000, attributes);
    span?.end();
  }
}
