import type { Observable } from 'rxjs';
import type { RunUpdate } from '../compose/run-update.js';
import { ConfigurationError } from '../errors/configuration-error.js';
import type { RunQueue } from '../queue/queue/run-queue.js';
import { machineDiagram } from './diagram.js';
import { type BoardFeed, queueFeed, updatesFeed } from './feeds.js';
import { dashboardPage } from './page.js';
import type { WatchViewOptions } from './watch-view.js';

/** Options of {@link createDashboard}: a queue, or the updates of watches in this process. */
export interface DashboardOptions extends WatchViewOptions {
  /** A queue of durable watches (`createRunQueue`): the page lists its watches and counts them by state. */
  queue?: RunQueue;
  /** Or watches of this process: the output of `watchRuns` (any Observable of `RunUpdate`). */
  updates?: Observable<RunUpdate>;
  /**
   * Cancel buttons, for a queue only: each stops a watch (`queue.cancel`) when the request carries this token as
   * `Authorization: Bearer <token>`. Without it the page is read-only and every cancel request is refused.
   */
  cancel?: { token: string };
  /**
   * The most watches listed.
   *
   * @defaultValue `1000`
   */
  limit?: number;
  /**
   * How often the page refreshes, ms.
   *
   * @defaultValue `1000`
   */
  refreshMs?: number;
}

/** A Web handler serving the dashboard (mount it anywhere: its page asks relative URLs), with `close()`. */
export interface Dashboard {
  (request: Request): Promise<Response>;
  /** Stops what the dashboard observes (not the queue: it belongs to the caller). */
  close(): void;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });

/** Compares without an early exit, so a guess does not learn how many characters it got right from the timing. */
function sameToken(given: string, expected: string): boolean {
  let diff = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) diff |= (given.charCodeAt(i) || 0) ^ expected.charCodeAt(i);
  return diff === 0;
}

/**
 * A live page of the watches, as a Web handler: counts by state, the watches with kind, job id, state, age,
 * requests and note, a progress bar where the kind has progress and the text so far of streamed responses, a
 * filter by state; a watch opened shows its timeline and the run machine's diagram with its state marked.
 * Read-only unless `cancel` gives a token. It never shows API objects whole: no keys, no webhook secrets, no tool
 * arguments (unless `showToolArguments`), and every string a job provided is written as text, never HTML.
 *
 * @example
 * const dashboard = createDashboard({ queue });
 * http.createServer(toNodeListener(dashboard)).listen(4000, '127.0.0.1');
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const { queue, updates, limit = 1000, refreshMs = 1000 } = options ?? {};
  if (!queue === !updates) {
    throw new ConfigurationError(
      'createDashboard needs one of `queue` (a RunQueue) or `updates` (watchRuns output)',
    );
  }
  if (
    options.cancel !== undefined &&
    !(typeof options.cancel.token === 'string' && options.cancel.token.length >= 16)
  ) {
    throw new ConfigurationError('createDashboard: cancel.token must be a string of at least 16 characters');
  }
  const view = { showToolArguments: options.showToolArguments ?? false };
  const feed: BoardFeed = queue ? queueFeed(queue, view) : updatesFeed(updates!, view);
  const canCancel = queue !== undefined && options.cancel !== undefined;
  const diagram = machineDiagram();

  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const route = url.pathname.replace(/^.*\/api\//, 'api/');
    if (request.method === 'POST' && route === 'api/cancel') {
      const given = (request.headers.get('authorization') ?? '').replace(/^Bearer /, '');
      if (!canCancel || !sameToken(given, options.cancel!.token)) return json({ error: 'forbidden' }, 403);
      const done = await feed.cancel(url.searchParams.get('key') ?? '');
      return done ? new Response(null, { status: 204 }) : json({ error: 'no such watch' }, 404);
    }
    if (request.method !== 'GET') return json({ error: 'method not allowed' }, 405);
    if (route === 'api/watches') {
      const { watches, counts } = await feed.list(limit);
      return json({ watches, counts, canCancel, now: Date.now() });
    }
    if (route === 'api/timeline') {
      const timeline = feed.timeline(url.searchParams.get('key') ?? '');
      return timeline ? json({ timeline }) : json({ error: 'no such watch' }, 404);
    }
    if (route === 'api/diagram') return json(diagram);
    const nonce = crypto.randomUUID().replaceAll('-', '');
    return new Response(dashboardPage(nonce, refreshMs), {
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // Only this page's own script and style run, it loads nothing from elsewhere, and no image loads at all:
        // a second line of defence behind writing job strings as text.
        'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        'x-content-type-options': 'nosniff',
      },
    });
  };
  return Object.assign(handler, { close: () => feed.close() });
}
