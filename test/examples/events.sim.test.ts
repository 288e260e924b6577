import { serve } from '@hono/node-server';
import { EventSource } from 'eventsource';
import type OpenAI from 'openai';
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as expressExample from '../../examples/events-express.js';
import * as honoExample from '../../examples/events-hono.js';
import { followRun, type RunSnapshot, snapshotEventId } from '../../src/client/index.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { scenarioMeta, simClient } from '../helpers/sim.js';

// The event-stream examples, each run as an app would run it and followed by a real client: runstate/client's
// followRun over the `eventsource` package (the browser's EventSource, for Node), against the simulator.

const deltas = Array.from({ length: 12 }, (_, i) => `w${i} `);

let sim: Simulator;
let client: OpenAI;
beforeAll(async () => {
  sim = await startSimulator({ seed: 11 });
  client = simClient(sim);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await sim?.close();
});

/** A streamed background response writing `deltas`, from its id on. */
async function streamedResponse(): Promise<string> {
  const created = await client.responses.create({
    model: 'gpt-4o-mini',
    input: 'Write',
    background: true,
    stream: true,
    metadata: scenarioMeta({ phases: { queued: 100, in_progress: 100 }, stream: { deltas, everyMs: 50 } }),
  });
  for await (const event of created) if (event.type === 'response.created') return event.response.id;
  throw new Error('no response.created event');
}

/** Follows `url` with followRun to the end: every snapshot the client emitted. */
function followToEnd(url: string): Promise<RunSnapshot[]> {
  return firstValueFrom(followRun(url, { EventSource }).pipe(toArray()));
}

function expectWholeAndInOrder(seen: RunSnapshot[]) {
  const ids = seen.map((s) => snapshotEventId(s));
  expect(new Set(ids).size).toBe(ids.length);
  const lengths = seen.map((s) => s.textLength ?? 0);
  expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
  expect(seen.at(-1)).toMatchObject({ state: 'completed', done: true, text: deltas.join('') });
}

describe.each([
  ['events-express', expressExample],
  ['events-hono', honoExample],
])('examples/%s.ts', (_name, example) => {
  it('serves a streamed response to two clients at once, each to the terminal snapshot with the whole text', async () => {
    const id = await streamedResponse();
    const { url, close } = await example.start({ client, port: 0 });
    try {
      const [a, b] = await Promise.all([
        followToEnd(`${url}/runs/${id}/events`),
        followToEnd(`${url}/runs/${id}/events`),
      ]);
      expectWholeAndInOrder(a);
      expectWholeAndInOrder(b);
      expect(snapshotEventId(a.at(-1)!)).toBe(snapshotEventId(b.at(-1)!));
    } finally {
      await close();
    }
  });
});

describe('examples/events-next-route.ts', () => {
  it("serves a streamed response from the route's GET, as Next.js calls it with the route's params", async () => {
    // The route module makes its client at import, from the environment, as a Next.js app does.
    vi.stubEnv('OPENAI_API_KEY', 'sim');
    vi.stubEnv('OPENAI_BASE_URL', sim.baseURL);
    const route = await import('../../examples/events-next-route.js');
    expect(route.dynamic).toBe('force-dynamic');
    // What Next.js's router does for app/runs/[id]/events/route.ts: match the path, call GET, send the Response.
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve(
        {
          fetch: (request) => {
            const match = /^\/runs\/([^/]+)\/events$/.exec(new URL(request.url).pathname);
            if (!match) return new Response('not found', { status: 404 });
            return route.GET(request, { params: Promise.resolve({ id: match[1]! }) });
          },
          port: 0,
          hostname: '127.0.0.1',
        },
        () => resolve(s),
      );
    });
    try {
      const { port } = server.address() as { port: number };
      const id = await streamedResponse();
      expectWholeAndInOrder(await followToEnd(`http://127.0.0.1:${port}/runs/${id}/events`));
    } finally {
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
