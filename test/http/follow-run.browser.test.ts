import type { IncomingMessage, ServerResponse } from 'node:http';
import type OpenAI from 'openai';
import type { Observable } from 'rxjs';
import { tap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotEventId } from '../../src/client/index.js';
import { shareByJob, toEventStream, toNodeListener } from '../../src/http/index.js';
import { type JobRef, type RunSnapshot, stream, watchRun } from '../../src/index.js';
import { createRunQueue } from '../../src/queue/index.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { clientBundle, FOLLOW_PAGE, launchBrowser, listen } from '../helpers/browser.js';
import { scenarioMeta, simClient } from '../helpers/sim.js';
import { type QueueFixture, queueFixture, REDIS } from '../queue/fixture.js';

// A real browser (Debian's chromium, driven by playwright-core) follows watches served by toEventStream, through
// runstate/client bundled for the browser as a page would load it.

interface Seen {
  id: string;
  state: string;
  done: boolean;
  textLength: number;
  shown: number;
}

let browser: Awaited<ReturnType<typeof launchBrowser>>;
let bundle: string;

beforeAll(async () => {
  [browser, bundle] = await Promise.all([launchBrowser(), clientBundle()]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** A server of the page, the client bundle, and `/events?id=` from `follow`; `onEvents` sees each connection. */
function appServer(
  follow: (job: JobRef) => Observable<RunSnapshot>,
  onEvents: (req: IncomingMessage, res: ServerResponse) => void = () => {},
) {
  const events = toNodeListener((request) => {
    const id = new URL(request.url).searchParams.get('id') ?? '';
    return toEventStream(follow({ kind: 'response', id }), { request, heartbeatMs: 500 });
  });
  return listen((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else if (path === '/events') {
      onEvents(req, res);
      events(req, res);
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(FOLLOW_PAGE);
    }
  });
}

async function seenBy(page: import('playwright-core').Page, timeout = 20_000) {
  await page.waitForFunction(
    () =>
      (window as { __complete?: boolean; __error?: string }).__complete ||
      (window as { __error?: string }).__error,
    undefined,
    { timeout },
  );
  return page.evaluate(() => {
    const w = window as unknown as { __seen: Seen[]; __error?: string; __complete?: boolean };
    return { seen: w.__seen, error: w.__error, complete: w.__complete };
  });
}

describe('followRun in Chromium, over a streamed response', () => {
  let sim: Simulator;
  let client: OpenAI;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 5 });
    client = simClient(sim);
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('shows the text as it is written, resumes after two drops with nothing repeated or lost, ends terminal', async () => {
    const deltas = Array.from({ length: 50 }, (_, i) => `${i} `);
    const created = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'Write',
      background: true,
      stream: true,
      metadata: scenarioMeta({ phases: { queued: 200, in_progress: 100 }, stream: { deltas, everyMs: 100 } }),
    });
    let id = '';
    for await (const event of created) {
      if (event.type === 'response.created') {
        id = event.response.id;
        break;
      }
    }
    // What the server's one shared watch emitted, in order: the page must see exactly these.
    const served: string[] = [];
    const follow = shareByJob((job) =>
      watchRun({ client, job, source: stream({ textIntervalMs: 50 }) }).pipe(
        tap((s) => served.push(snapshotEventId(s))),
      ),
    );
    let connections = 0;
    const resumedFrom: (string | undefined)[] = [];
    const app = await appServer(follow, (req, res) => {
      connections++;
      resumedFrom.push(req.headers['last-event-id'] as string | undefined);
      // The first two connections are cut mid-stream at the socket, as a proxy or a network would.
      if (connections <= 2) setTimeout(() => res.socket?.destroy(), 600);
    });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${app.url}/?events=${encodeURIComponent(`/events?id=${id}`)}`);
      const { seen, error, complete } = await seenBy(page);
      expect(error).toBeUndefined();
      expect(complete).toBe(true);
      // Two drops, two resumes, each with the id of the last snapshot the page had.
      expect(connections).toBe(3);
      expect(resumedFrom[0]).toBeUndefined();
      expect(resumedFrom.slice(1).every((h) => typeof h === 'string' && h.length > 0)).toBe(true);
      const ids = seen.map((s) => s.id);
      expect(new Set(ids).size).toBe(ids.length);
      // The page's first snapshot is the current one when it connected; from there on, every one the server had.
      expect(ids).toEqual(served.slice(served.indexOf(ids[0]!)));
      // The text appears as it is written: many lengths on the way, never shorter than before.
      const lengths = seen.map((s) => s.textLength);
      expect(new Set(lengths.filter((n) => n > 0)).size).toBeGreaterThan(5);
      expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
      const last = seen.at(-1)!;
      expect(last).toMatchObject({ state: 'completed', done: true, textLength: deltas.join('').length });
      expect(await page.locator('#text').textContent()).toBe(deltas.join(''));
      await page.close();
    } finally {
      await app.close();
    }
  }, 30_000);
});

describe('followRun in Chromium, over a queued job, through two server instances', () => {
  let fixture: QueueFixture;
  beforeAll(async () => {
    fixture = await queueFixture('browser', { speed: 10 });
    await fixture.addWorker();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('every page ends the same way, and each instance observes the job once for all its pages', async () => {
    const job = await fixture.createResponse({ phases: { queued: 2_000, in_progress: 6_000 } });
    await fixture.runs.watch(job);
    const other = await createRunQueue({
      connection: REDIS,
      name: fixture.name,
      now: () => fixture.sim.clock.now(),
      speed: fixture.speed,
    });
    const observed = { a: 0, b: 0 };
    const followA = shareByJob((j) => {
      observed.a++;
      return fixture.runs.observe(j);
    });
    const followB = shareByJob((j) => {
      observed.b++;
      return other.observe(j);
    });
    const [a, b] = await Promise.all([appServer(followA), appServer(followB)]);
    try {
      const id = (job as { id: string }).id;
      const urls = [a.url, a.url, b.url].map((u) => `${u}/?events=${encodeURIComponent(`/events?id=${id}`)}`);
      const pages = await Promise.all(urls.map(() => browser.context.newPage()));
      await Promise.all(pages.map((p, i) => p.goto(urls[i]!)));
      const results = await Promise.all(pages.map((p) => seenBy(p)));
      for (const r of results) {
        expect(r.error).toBeUndefined();
        expect(r.seen.at(-1)).toMatchObject({ state: 'completed', done: true });
      }
      expect(new Set(results.map((r) => r.seen.at(-1)!.id)).size).toBe(1);
      expect(observed).toEqual({ a: 1, b: 1 });
      await Promise.all(pages.map((p) => p.close()));
    } finally {
      await Promise.all([a.close(), b.close()]);
      await other.close();
    }
  }, 30_000);
});
