import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { toNodeListener } from '../../src/http/index.js';
import type { JobRef } from '../../src/index.js';
import type { Scenario } from '../../src/sim/index.js';
import { launchBrowser, listen } from '../helpers/browser.js';
import { scenarioMeta } from '../helpers/sim.js';
import { type QueueFixture, queueFixture } from '../queue/fixture.js';

// The dashboard in Debian's chromium, over a queue of 200 durable watches of every kind and outcome, stepped by
// real workers against the simulator.

const XSS = '<img src=x onerror="window.__pwned=1">';
const TOKEN = 'a-long-enough-cancel-token';
const SCREENSHOT = fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url));

let fixture: QueueFixture;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let slowKey = '';

const kinds: { outcomes: string[]; create: (scenario: Scenario) => Promise<JobRef> }[] = [];

async function createBatch(scenario: Scenario): Promise<JobRef> {
  const b = await fixture.client.batches.create({
    input_file_id: 'file-x',
    endpoint: '/v1/responses',
    completion_window: '24h',
    metadata: scenarioMeta({ anyInputFile: true, requests: 4, ...scenario }),
  });
  return { kind: 'batch', id: b.id };
}

beforeAll(async () => {
  [fixture, browser] = await Promise.all([queueFixture('dashboard', { speed: 50 }), launchBrowser()]);
  await Promise.all([fixture.addWorker({ concurrency: 20 }), fixture.addWorker({ concurrency: 20 })]);
  kinds.push(
    {
      outcomes: ['completed', 'failed', 'incomplete', 'cancelled'],
      create: (s) => fixture.createResponse(s),
    },
    { outcomes: ['completed', 'failed', 'expired', 'cancelled'], create: createBatch },
    {
      outcomes: ['completed', 'failed', 'incomplete', 'expired', 'cancelled'],
      create: (s) => fixture.createRun(s),
    },
  );
  const phases = { queued: 300, validating: 300, in_progress: 1_000, finalizing: 300, cancelling: 300 };
  const jobs: Promise<JobRef>[] = [];
  for (let i = 0; i < 188; i++) {
    const kind = kinds[i % 3]!;
    const outcome = kind.outcomes[Math.floor(i / 3) % kind.outcomes.length] as Scenario['outcome'];
    jobs.push(
      kind.create({
        phases,
        outcome,
        expiresAfterMs: 600,
        error: { code: 'server_error', message: '<script>window.__pwned = 2</script>' },
      }),
    );
  }
  // One whose text is markup, ten still running, and a timed-out one.
  jobs.push(fixture.createResponse({ phases, reply: XSS }));
  // Ten hours of simulated work: at ×50 that is 12 minutes of real time, past any slow start of the suite (one hour
  // was 72 s, and a slow runner saw the watch opened below already completed).
  for (let i = 0; i < 10; i++)
    jobs.push(kinds[i % 3]!.create({ phases: { ...phases, in_progress: 36_000_000 } }));
  const refs = await Promise.all(jobs);
  await Promise.all(refs.map((ref) => fixture.runs.watch(ref)));
  const slow = await fixture.createResponse({ phases: { queued: 0, in_progress: 3_600_000 } });
  await fixture.runs.watch(slow, { maxWaitMs: 2_000 });
  slowKey = (refs.at(-1) as { id?: string; runId?: string }).id ?? (refs.at(-1) as { runId: string }).runId;
  // Until every watch has been stepped and the counts hold still.
  let last = '';
  for (let i = 0; i < 200; i++) {
    const c = await fixture.runs.counts();
    const ended = Object.entries(c.byState).filter(([s]) => !['queued', 'in_progress'].includes(s));
    const key = JSON.stringify(c.byState);
    if (c.starting === 0 && key === last && ended.reduce((n, [, v]) => n + v, 0) >= 190) break;
    last = key;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await fixture?.close();
});

async function open(dashboard: Dashboard): Promise<{ page: Page; close(): Promise<void> }> {
  const app = await listen(toNodeListener(dashboard));
  const page = await browser.context.newPage();
  await page.goto(`${app.url}/`);
  await page.waitForSelector('body[data-loaded="true"]');
  return {
    page,
    async close() {
      await page.close();
      await app.close();
      dashboard.close();
    },
  };
}

async function pageCounts(page: Page): Promise<Record<string, number>> {
  return page.$$eval('[data-count]', (nodes) =>
    Object.fromEntries(nodes.map((n) => [n.getAttribute('data-count'), Number(n.textContent)])),
  );
}

describe('the dashboard over a queue of 200 watches', () => {
  it('counts on the page what queue.counts() counts, opens a watch on its timeline, and writes job strings as text', async () => {
    const counts = await fixture.runs.counts();
    const total = Object.values(counts.byState).reduce((a, b) => a + b, 0);
    expect(total + counts.errors + counts.starting + counts.stopped).toBe(200);
    // Every kind's outcomes are there.
    for (const state of [
      'completed',
      'failed',
      'cancelled',
      'expired',
      'incomplete',
      'in_progress',
      'timed_out',
    ]) {
      expect(counts.byState[state as keyof typeof counts.byState], state).toBeGreaterThan(0);
    }
    const { page, close } = await open(createDashboard({ queue: fixture.runs }));
    try {
      const shown = await pageCounts(page);
      const now = await fixture.runs.counts();
      expect(now.byState).toEqual(counts.byState);
      expect({ ...shown, all: undefined }).toEqual({ ...now.byState, all: undefined });
      expect(shown.all).toBe(total);
      expect(await page.locator('#watches tr').count()).toBe(200);

      // The filter shows one state only.
      await page.click('button[data-state="failed"]');
      await page.waitForFunction(
        (n) => document.querySelectorAll('#watches tr').length === n,
        now.byState.failed,
      );
      const states = await page.$$eval('#watches tr td.state', (tds) => [
        ...new Set(tds.map((t) => t.textContent)),
      ]);
      expect(states).toEqual(['failed']);
      // A failed job's message is markup: shown as its characters.
      const failedText = await page.locator('#watches tr .text').first().textContent();
      expect(failedText).toContain('<script>');

      // The response whose text is an <img> tag: opened, its timeline, the diagram with its state marked.
      await page.click('button[data-state="all"]');
      const xss = await page.locator('#watches tr', { hasText: XSS }).first();
      await xss.click();
      await page.waitForSelector('#timeline tr');
      expect(await page.locator('#timeline tr').count()).toBeGreaterThan(0);
      expect(await page.locator('#text').textContent()).toBe(XSS);
      expect(await page.locator('svg [data-current="true"]').getAttribute('data-node')).toBe('completed');
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();

      // A running watch's timeline grows from what the dashboard saw.
      await page.locator(`#watches tr[data-key="${slowKey}"]`).click();
      // The diagram of the watch opened before stays until this one's is drawn: wait for the new one to mark a state.
      await page.locator('#detail h2', { hasText: slowKey }).waitFor();
      expect(await page.locator('svg [data-current="true"]').getAttribute('data-node')).toBe('in_progress');
      // docs/dashboard.png is this screenshot: rewritten with UPDATE_SCREENSHOT=1, so a plain run leaves the tree clean.
      const shot = await page.screenshot(process.env.UPDATE_SCREENSHOT ? { path: SCREENSHOT } : {});
      expect(shot.byteLength).toBeGreaterThan(10_000);
    } finally {
      await close();
    }
  }, 60_000);

  it('cancels nothing without the token: no buttons unless configured, and a 403 for a request without it', async () => {
    const readOnly = await open(createDashboard({ queue: fixture.runs }));
    try {
      expect(await readOnly.page.locator('[data-cancel]').count()).toBe(0);
      const status = await readOnly.page.evaluate(
        (key) => fetch(`api/cancel?key=${key}`, { method: 'POST' }).then((r) => r.status),
        slowKey,
      );
      expect(status).toBe(403);
    } finally {
      await readOnly.close();
    }
    const guarded = await open(createDashboard({ queue: fixture.runs, cancel: { token: TOKEN } }));
    try {
      expect(await guarded.page.locator('[data-cancel]').count()).toBeGreaterThan(0);
      const statuses = await guarded.page.evaluate(
        async ({ key }) => [
          (await fetch(`api/cancel?key=${key}`, { method: 'POST' })).status,
          (
            await fetch(`api/cancel?key=${key}`, {
              method: 'POST',
              headers: { authorization: 'Bearer wrong-token-of-some-length' },
            })
          ).status,
        ],
        { key: slowKey },
      );
      expect(statuses).toEqual([403, 403]);
      expect((await fixture.runs.counts()).stopped).toBe(0);
      const ok = await guarded.page.evaluate(
        async ({ key, token }) =>
          (
            await fetch(`api/cancel?key=${key}`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}` },
            })
          ).status,
        { key: slowKey, token: TOKEN },
      );
      expect(ok).toBe(204);
    } finally {
      await guarded.close();
    }
  }, 30_000);
});
