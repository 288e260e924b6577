import type { SseReply } from './sse.js';

/** A parsed request as an endpoint handler sees it. */
export interface SimRequest {
  /** Path parameters by name (`thread_id`, `run_id`, ...). */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body (an empty object when there is none). */
  body: Record<string, unknown>;
  /** The raw body, for the few endpoints that are not JSON (file uploads). */
  raw: Buffer;
  /** Clock time the request is handled at. */
  now: number;
}

/**
 * What a handler answers: a JSON body and a status (200 by default), or with `sse` a stream of server-sent events
 * instead of the body. Failures are thrown `SimHttpError`s.
 */
export interface SimReply {
  status?: number;
  body: unknown;
  sse?: SseReply;
  /** A non-JSON answer (`files.content`), written chunk by chunk instead of `body`. */
  content?: { type: string; chunks: () => Iterable<string | Buffer> };
}

/** One endpoint: its stable name (used by faults and stats), method and path. */
export interface RouteDef {
  /** E.g. `runs.retrieve`: the SDK method it serves, the name faults target and stats count under. */
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path under `/v1`, with `:param` segments: `/threads/:thread_id/runs/:run_id`. */
  path: string;
  /** The path parameter holding the job this request is about (counted in the job's stats). */
  jobParam?: string;
  /** The route's name for a request that asks for SSE with `?stream=true` (stats and faults count it apart). */
  streamName?: string;
  /** Whether the body is JSON (default) or passed raw. */
  rawBody?: boolean;
  handle(req: SimRequest): SimReply | Promise<SimReply>;
}
