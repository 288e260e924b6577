import type { Context, Link, Span, SpanContext } from '@opentelemetry/api';
import type { KindAdapter } from '../kinds/spec.js';
import type { RunSnapshot } from '../model/types.js';
import { instruments } from './instruments.js';
import { instrumentAdapter, type RequestScope } from './request-telemetry.js';
import { jobEndedAt, recordTool, type TelemetryOptions, type ToolRecorder } from './watch-telemetry.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The caller's active span as a W3C `traceparent` (`00-<trace>-<span>-<flags>`), to store in a durable watch's
 * job; undefined without a tracing SDK or an active span. Written by hand rather than through the global
 * propagator, which an application may not have set: the job must carry it either way.
 */
export function currentTraceparent(): string | undefined {
  const ins = instruments();
  if (!ins?.tracing) return undefined;
  const span = ins.api.trace.getSpan(ins.api.context.active());
  const sc = span?.spanContext();
  if (!sc || !ins.api.isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** Reads a stored `traceparent` back as a remote span context; undefined when it is not one. */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  const m = typeof value === 'string' ? TRACEPARENT.exec(value) : null;
  if (!m) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: Number.parseInt(m[3]!, 16), isRemote: true };
}

/** What a durable step says about itself when it ends. */
export interface StepEnd {
  /** `done`, `wait`, `rate_limited`, `fault`, or `error` (the step threw). */
  result: string;
  snapshot?: RunSnapshot;
  error?: unknown;
}

/** The recorder of one durable step. */
export interface StepTelemetry {
  // biome-ignore lint/suspicious/noExplicitAny: any kind's adapter
  adapter<A extends KindAdapter<any>>(adapter: A): A;
  readonly runTool: ToolRecorder;
  end(end: StepEnd): void;
}

/** Who a step is and when it was due. */
export interface StepIdentity {
  kind: string;
  jobId: string;
  /** The `traceparent` `watch()` stored: the step's span joins that trace and links to the caller's span. */
  traceparent?: string;
  /** Wall-clock epoch ms the step was due; its lateness is measured from here. */
  dueAt?: number;
  /** The watch's clock (the API's), epoch ms: for the detection delay. */
  now(): number;
}

/**
 * Starts the telemetry of one durable step: a CONSUMER span `runstate.step` in the trace of the `watch()` call
 * (its parent and its link), `runstate.queue.step.lateness` now and `runstate.queue.step.duration` at the end;
 * the step's requests recorded as in a watch; `runstate.watches.ended` and the detection delay when it ends the
 * watch. Undefined when nothing records.
 */
export function startStepTelemetry(options: TelemetryOptions, step: StepIdentity): StepTelemetry | undefined {
  if (options.telemetry === false) return undefined;
  const ins = instruments();
  if (!ins && !options.logger) return undefined;
  const started = performance.now();
  const wallStart = Date.now();
  const { kind } = step;
  if (step.dueAt !== undefined)
    ins?.stepLateness.record(Math.max(0, wallStart - step.dueAt) / 1000, { kind });
  let span: Span | undefined;
  let parent: Context | undefined;
  if (ins?.tracing) {
    const caller = parseTraceparent(step.traceparent);
    const root = ins.api.context.active();
    const base = caller ? ins.api.trace.setSpanContext(root, caller) : root;
    const links: Link[] = caller ? [{ context: caller }] : [];
    span = ins.tracer.startSpan(
      'runstate.step',
      {
        kind: ins.api.SpanKind.CONSUMER,
        links,
        attributes: { 'runstate.kind': kind, 'runstate.job.id': step.jobId },
      },
      base,
    );
    parent = ins.api.trace.setSpan(base, span);
  }
  const scope: RequestScope = {
    instruments: ins,
    logger: options.logger,
    kind,
    jobId: step.jobId,
    parent,
    failures: 0,
  };
  return {
    adapter: (adapter) => instrumentAdapter(adapter, scope),
    runTool: (call, run) => recordTool(ins, parent, call, run),
    end({ result, snapshot, error }) {
      ins?.stepDuration.record((performance.now() - started) / 1000, { kind, result });
      if (result === 'done' || result === 'fault') {
        const outcome = result === 'done' && snapshot ? snapshot.state : 'error';
        ins?.watchesEnded.add(1, { kind, outcome });
        const endedAt = snapshot && result === 'done' ? jobEndedAt(snapshot) : undefined;
        if (endedAt !== undefined) {
          ins?.detectionDelay.record(Math.max(0, step.now() - endedAt) / 1000, { kind, outcome });
        }
      }
      if (result === 'fault' || result === 'error') {
        const code = (error as { code?: unknown } | null)?.code;
        options.logger?.error(
          {
            event: result === 'fault' ? 'watch_failed' : 'step_error',
            kind,
            job: step.jobId,
            code: typeof code === 'string' ? code : undefined,
            error: error instanceof Error ? error.message : String(error),
          },
          result === 'fault' ? 'runstate: a durable watch ended with an error' : 'runstate: a step failed',
        );
      }
      if (span && ins) {
        span.setAttribute('runstate.step.result', result);
        if (snapshot) span.setAttribute('runstate.state', snapshot.state);
        if (result === 'fault' || result === 'error') span.setStatus({ code: ins.api.SpanStatusCode.ERROR });
        span.end();
      }
    },
  };
}
