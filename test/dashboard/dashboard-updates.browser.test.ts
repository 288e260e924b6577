import type OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { share } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { toNodeListener } from '../../src/http/index.js';
import { type JobRef, jobKey, type RunUpdate, watchRuns } from '../../src/index.js';
import { type Scenario, type Simulator, startSimulator } from '../../src/sim/index.js';
import { createJob, QUICK } from '../compose/sim-jobs.js';
import { launchBrowser, listen } from '../helpers/browser.js';
import { simClient } from '../helpers/sim.js';

// The dashboard's in-process form in Debian's chromium: createDashboard over the updates of watchRuns in this
// process (no queue, no Redis), watching jobs of three kinds and every outcome on the simulator.

const XSS = '<img src=x onerror="window.__pwned=1">';

let sim: Simulator;
let client: OpenAI;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  [sim, browser] = await Promise.all([startSimulator({ clock: { speed: 50 }, seed: 13 }), launchBrowser()]);
  client = simClient(sim);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await sim?.close();
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

const pageCounts = (page: Page): Promise<Record<string, number>> =>
  page.$$eval('[data-count]', (nodes) =>
    Object.fromEntries(nodes.map((n) => [n.getAttribute('data-count'), Number(n.textContent)])),
  );

describe('the dashboard over watchRuns in this process', () => {
  it('counts the watches by state, opens one on its timeline, writes job strings as text, and cancels nothing', async () => {
    const plan: [JobRef['kind'], ('completed' | 'failed' | 'incomplete' | 'expired')[]][] = [
      ['response', ['completed', 'failed', 'incomplete']],
      ['batch', ['completed', 'failed', 'expired']],
      ['assistants.run', ['completed', 'failed', 'expired']],
    ];
    const scenarios: [JobRef['kind'], Scenario & { outcome: string }][] = [];
    for (const [kind, outcomes] of plan)
      for (const outcome of outcomes)
        for (let i = 0; i < 3; i++)
          scenarios.push([
            kind,
            {
              phases: QUICK,
              outcome,
              ...(outcome === 'expired' ? { expiresAfterMs: 1_000 } : {}),
              error: { code: 'server_error', message: '<script>window.__pwned = 2</script>' },
            },
          ]);
    const jobs = await Promise.all(scenarios.map(([kind, s]) => createJob(client, kind, s)));
    // Slow enough (a second queued, two in progress, in real time) for the watch to see it change twice.
    const xss = await createJob(client, 'response', {
      phases: { queued: 50_000, in_progress: 100_000 },
      reply: XSS,
    });
    // Ten simulated hours: still running when the page looks.
    const running = await createJob(client, 'response', { phases: { queued: 0, in_progress: 36_000_000 } });
    const missing: JobRef = { kind: 'response', id: 'resp_missing' };
    // What the dashboard is given, and what the test reads beside it: one subscription to the watches, shared.
    const updates = watchRuns([...jobs, xss, running, missing], { client }).pipe(share());
    const latest = new Map<string, RunUpdate>();
    const recording = updates.subscribe((u) => latest.set(u.key, u));
    const dashboard = createDashboard({ updates, refreshMs: 200 });
    const { page, close } = await open(dashboard);
    try {
      // Until every watch but the long one has ended, as the page shows it.
      const expected: Record<string, number> = { in_progress: 1, completed: 1 };
      for (const [, s] of scenarios) expected[s.outcome] = (expected[s.outcome] ?? 0) + 1;
      const watched = scenarios.length + 2;
      await page
        .waitForFunction(
          ({ want, all }) =>
            Number(document.querySelector('[data-count="all"]')?.textContent) === all &&
            Object.entries(want).every(
              ([state, n]) => Number(document.querySelector(`[data-count="${state}"]`)?.textContent) === n,
            ),
          { want: expected, all: watched },
          { timeout: 30_000 },
        )
        .catch(async (e) => {
          console.error(
            await pageCounts(page),
            [...latest.values()].map((u) => [u.key, u.type, u.snapshot?.state]),
          );
          throw e;
        });
      // What the page counts is what the watches said last, state by state.
      const shown = await pageCounts(page);
      const byState: Record<string, number> = {};
      for (const u of latest.values())
        if (u.type === 'snapshot') byState[u.snapshot.state] = (byState[u.snapshot.state] ?? 0) + 1;
      expect(Object.fromEntries(Object.entries(shown).filter(([s, n]) => s !== 'all' && n > 0))).toEqual(
        byState,
      );
      expect(shown.all).toBe(watched);
      // The job that was never found is a watch that failed: counted apart, listed with why.
      expect(latest.get('resp_missing')?.type).toBe('error');
      expect(await page.locator('#summary').textContent()).toContain('1 failed to watch');
      expect(await page.locator('#watches tr').count()).toBe(watched + 1);
      expect(await page.locator('#watches tr[data-key="resp_missing"] .text').textContent()).toBe(
        'the watch failed (not_found)',
      );

      // The response whose text is an <img> tag: opened on its timeline, the text shown as characters, nothing run.
      await page.locator(`#watches tr[data-key="${jobKey(xss)}"]`).click();
      await page.waitForSelector('#timeline tr');
      const timeline = await page.$$eval('#timeline tr', (rows) => rows.map((r) => r.textContent ?? ''));
      expect(timeline.length).toBeGreaterThan(1);
      expect(timeline.filter((row) => row.includes('completed'))).toHaveLength(1);
      expect(await page.locator('#text').textContent()).toBe(XSS);
      expect(await page.locator('svg [data-current="true"]').getAttribute('data-node')).toBe('completed');
      const failedText = await page
        .locator('#watches tr', { hasText: 'failed' })
        .locator('.text')
        .first()
        .textContent();
      expect(failedText).toContain('<script>');
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();

      // The running watch: its state marked on the diagram.
      await page.locator(`#watches tr[data-key="${jobKey(running)}"]`).click();
      await page.waitForFunction(
        () =>
          document.querySelector('svg [data-current="true"]')?.getAttribute('data-node') === 'in_progress',
      );

      // Watches of this process are stopped by whoever subscribed to them: no button, and a 403.
      expect(await page.locator('[data-cancel]').count()).toBe(0);
      const status = await page.evaluate(
        (key) => fetch(`api/cancel?key=${key}`, { method: 'POST' }).then((r) => r.status),
        jobKey(running),
      );
      expect(status).toBe(403);
    } finally {
      await close();
      recording.unsubscribe();
    }
  }, 60_000);
});
