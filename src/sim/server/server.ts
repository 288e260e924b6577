import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { IdFactory } from '../ids.js';
import type { JobRegistry } from '../jobs/registry.js';
import type { SimClock } from '../time/clock.js';
import { SimHttpError } from './errors.js';
import type { HttpFaultState } from './faults.js';
import { estimateTokens, formatResetDuration } from './rate-limiter.js';
import type { RouteDef, SimReply } from './route.js';
import { serveSse } from './sse.js';
import type { RequestCounter } from './stats.js';

/** What the HTTP layer needs from the rest of the simulator. */
export interface ServerDeps {
  routes: RouteDef[];
  clock: SimClock;
  faults: HttpFaultState;
  counter: RequestCounter;
  jobs: JobRegistry;
  /** Ids for `x-request-id`. */
  ids: IdFactory;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

/** A `node:http` server with its own shutdown, which also stops requests waiting out injected latency. */
export interface SimServer {
  server: Server;
  close(): Promise<void>;
}

interface CompiledRoute {
  def: RouteDef;
  regex: RegExp;
  keys: string[];
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

function compile(def: RouteDef): CompiledRoute {
  const keys: string[] = [];
  const pattern = def.path.replace(/:([a-z_]+)/g, (_, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { def, regex: new RegExp(`^/v1${pattern}/?$`), keys };
}

/** A malformed escape (`%E0%A4%A`) cannot name anything that exists: keep it raw so the lookup 404s. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new SimHttpError(413, `Request body too large: the limit is ${MAX_BODY_BYTES} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new SimHttpError(
      400,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SimHttpError(400, 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

function authError(header: string | undefined): SimHttpError {
  const key = header?.startsWith('Bearer ') ? header.slice(7) : '';
  // Like OpenAI, show only the ends of a wrong key, never the whole of it.
  const shown = key.length > 8 ? `${key.slice(0, 3)}***${key.slice(-4)}` : '***';
  const message = key
    ? `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`
    : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
  return new SimHttpError(401, message, 'invalid_request_error', null, 'invalid_api_key');
}

/**
 * A wait in clock ms as the client's own (real) ms: a sped-up clock's second passes in 1/speed of a real one, and
 * a client sleeps in real time. A manual clock has no pace: its waits stay in clock ms.
 */
export function clientMs(clock: SimClock, clockMs: number): number {
  return clock.speed === undefined || clock.speed === 1 ? clockMs : Math.ceil(clockMs / clock.speed);
}

/** A 429; its `x-ratelimit-*` headers come from the limiter, like every other answer's. */
function rateLimitError(retryAfterMs: number, type: 'requests' | 'tokens', reason: string): SimHttpError {
  return new SimHttpError(429, reason, type, null, 'rate_limit_exceeded', {
    'retry-after-ms': String(retryAfterMs),
    'retry-after': String(Math.ceil(retryAfterMs / 1000)),
  });
}

/** The API version OpenAI's answers name in `openai-version`. */
const OPENAI_VERSION = '2020-10-01';

const SERVER_ERROR_MESSAGES: Record<number, string> = {
  500: 'The server had an error while processing your request. Sorry about that!',
  502: 'Bad gateway.',
  503: 'The server is overloaded or not ready yet.',
  504: 'Gateway timeout.',
};

/**
 * The HTTP front: routes OpenAI paths under `/v1`, applies faults in the order a client would meet them
 * (latency, dropped connection, auth, rate limits, 5xx), answers in OpenAI's JSON and error shapes, and never
 * lets one bad request take the server down.
 */
export function createSimServer(deps: ServerDeps): SimServer {
  const routes = deps.routes.map(compile);
  // Requests waiting out injected latency; close() clears them so no timer outlives the server.
  const sleeping = new Set<ReturnType<typeof setTimeout>>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        sleeping.delete(timer);
        resolve();
      }, ms);
      sleeping.add(timer);
    });

  const send = (
    res: ServerResponse,
    route: string,
    status: number,
    body: unknown,
    headers: Record<string, string>,
  ) => {
    deps.counter.record(route, status);
    if (res.destroyed) return;
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-request-id': deps.ids.make('req_', 32, 'hex'),
      // Object timestamps follow the simulator clock; so does Date, so a client can tell the two apart.
      date: new Date(deps.clock.now()).toUTCString(),
      ...headers,
    });
    res.end(JSON.stringify(body));
  };

  /** Writes a file's chunks as the socket takes them, so a large result file never sits whole in memory. */
  const sendContent = async (
    res: ServerResponse,
    route: string,
    content: NonNullable<SimReply['content']>,
    headers: Record<string, string>,
  ) => {
    deps.counter.record(route, 200);
    if (res.destroyed) return;
    res.writeHead(200, {
      'content-type': content.type,
      'x-request-id': deps.ids.make('req_', 32, 'hex'),
      date: new Date(deps.clock.now()).toUTCString(),
      ...headers,
    });
    try {
      for (const chunk of content.chunks()) {
        if (res.destroyed) return;
        if (!res.write(chunk)) await drainedOrClosed(res);
      }
      res.end();
    } catch {
      // Headers are gone: the only honest signal left is a cut connection.
      res.destroy();
    }
  };

  const match = (method: string | undefined, pathname: string) => {
    for (const route of routes) {
      if (route.def.method !== method) continue;
      const m = route.regex.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        params[key] = safeDecode(m[i + 1]!);
      });
      return { route, params };
    }
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A request target WHATWG URL cannot parse still gets an OpenAI-shaped 404, not a dropped socket.
    const url = URL.canParse(req.url ?? '/', 'http://sim.invalid')
      ? new URL(req.url ?? '/', 'http://sim.invalid')
      : new URL('http://sim.invalid/invalid');
    const found = match(req.method, url.pathname);
    const streamName = url.searchParams.get('stream') === 'true' ? found?.route.def.streamName : undefined;
    const name = streamName ?? found?.route.def.name ?? 'unknown';
    const jobId = found?.route.def.jobParam ? found.params[found.route.def.jobParam] : undefined;
    const counters = jobId ? deps.jobs.counters(jobId) : undefined;
    if (counters) {
      counters.requests++;
      if (name.endsWith('.retrieve')) counters.retrieves++;
    }
    const headers: Record<string, string> = { 'openai-version': OPENAI_VERSION };
    // openai-processing-ms: the server's own time, so injected latency (the network) is not in it.
    let started = performance.now();
    const stamp = () => {
      headers['openai-processing-ms'] = String(Math.max(0, Math.round(performance.now() - started)));
    };
    try {
      const raw = await readBody(req);
      const latencyMs = deps.faults.latencyFor(name);
      if (latencyMs > 0) await sleep(latencyMs);
      started = performance.now();
      const drop = deps.faults.dropRuleFor(name);
      if (drop && !drop.afterHandling) {
        deps.counter.record(name, 'dropped');
        req.socket.destroy();
        return;
      }
      if (deps.apiKey !== undefined && req.headers.authorization !== `Bearer ${deps.apiKey}`) {
        throw authError(req.headers.authorization);
      }
      // Every authenticated answer, 200 or error, describes the limiter after this request.
      const now = deps.clock.now();
      const tokens = estimateTokens(name, raw.length);
      const taken = deps.faults.take(tokens, now);
      const limiter = deps.faults.limiterAt(now);
      // Every wait a header asks for is in the client's time; both 429s (the limiter's and an injected one) count
      // theirs on the simulator's clock first, so they agree under any speed.
      const toClient = (ms: number) => clientMs(deps.clock, ms);
      Object.assign(headers, limiter.headers(now, toClient));
      if (!taken.ok) {
        const per = taken.refusedBy === 'tokens' ? 'tokens per min (TPM)' : 'requests per min (RPM)';
        const bucket = taken.refusedBy === 'tokens' ? limiter.tokens : limiter.requests;
        const requested = taken.refusedBy === 'tokens' ? tokens : 1;
        const retryAfterMs = toClient(taken.retryAfterMs);
        throw rateLimitError(
          retryAfterMs,
          taken.refusedBy ?? 'requests',
          `Rate limit reached for ${taken.refusedBy} on ${per}: Limit ${bucket.limit}, Used ${bucket.limit - bucket.remaining(now)}, Requested ${requested}. Please try again in ${formatResetDuration(retryAfterMs)}.`,
        );
      }
      const rateLimit = deps.faults.rateLimitFor(name);
      if (rateLimit?.code === 'insufficient_quota') {
        throw new SimHttpError(
          429,
          'You exceeded your current quota, please check your plan and billing details. (simulated)',
          'insufficient_quota',
          null,
          'insufficient_quota',
        );
      }
      if (rateLimit) {
        const retryAfterMs = toClient(rateLimit.retryAfterMs ?? 1000);
        throw rateLimitError(
          retryAfterMs,
          'requests',
          `Rate limit reached for requests (simulated). Please try again in ${formatResetDuration(retryAfterMs)}.`,
        );
      }
      const serverError = deps.faults.serverErrorFor(name);
      if (serverError && !serverError.afterHandling) {
        const status = serverError.status ?? 500;
        throw new SimHttpError(status, SERVER_ERROR_MESSAGES[status]!, 'server_error');
      }
      if (!found) {
        throw new SimHttpError(404, `Invalid URL (${req.method} ${url.pathname})`);
      }
      const reply: SimReply = await found.route.def.handle({
        params: found.params,
        query: url.searchParams,
        body: found.route.def.rawBody ? {} : parseJson(raw),
        raw,
        now: deps.clock.now(),
      });
      // Faults after handling: the request was applied, but the client never learns it.
      if (drop) {
        deps.counter.record(name, 'dropped');
        req.socket.destroy();
        return;
      }
      if (serverError) {
        const status = serverError.status ?? 500;
        throw new SimHttpError(status, SERVER_ERROR_MESSAGES[status]!, 'server_error');
      }
      stamp();
      if (reply.sse) {
        deps.counter.record(name, 200);
        if (res.destroyed) return;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          'x-request-id': deps.ids.make('req_', 32, 'hex'),
          date: new Date(deps.clock.now()).toUTCString(),
          ...headers,
        });
        // Headers at once, as OpenAI sends them: a live stream (an agent session's) may have nothing to write for
        // a while, and the client's request resolves only once it has them.
        res.flushHeaders();
        serveSse(res, reply.sse, deps.clock, deps.faults.streamFaultFor(name), () => {
          deps.counter.streamsDropped++;
        });
        return;
      }
      const pollAfterMs = deps.faults.pollAfterFor(name);
      if (pollAfterMs !== undefined)
        headers['openai-poll-after-ms'] = String(clientMs(deps.clock, pollAfterMs));
      if (reply.content) await sendContent(res, name, reply.content, headers);
      else send(res, name, reply.status ?? 200, reply.body, headers);
    } catch (error) {
      const failure =
        error instanceof SimHttpError
          ? error
          : new SimHttpError(
              500,
              `${SERVER_ERROR_MESSAGES[500]} (simulator: ${String(error)})`,
              'server_error',
            );
      stamp();
      send(res, name, failure.status, failure.toBody(), { ...headers, ...failure.headers });
    }
  };

  const server = createServer((req, res) => {
    res.on('error', () => {});
    handle(req, res).catch(() => {
      if (!res.headersSent) res.destroy();
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of sleeping) clearTimeout(timer);
        sleeping.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Waits until a response can take more data, or is closed. Both listeners go once either fires: a slow reader
 * of a large file makes thousands of such waits, and a `close` listener left behind by each one piles up.
 */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done).once('close', done);
  });
}
