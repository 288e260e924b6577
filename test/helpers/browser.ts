import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium: no browser download works on these machines (.ci/run installs the package). */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium with a fresh profile; `close()` also removes the profile. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'rs-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** runstate/client bundled for the browser, as a page's module script loads it (fails on any Node import). */
export async function clientBundle(): Promise<string> {
  const result = await build({
    entryPoints: [new URL('../../src/client/index.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** A node:http server on 127.0.0.1 and a free port. */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The page that follows a watch with runstate/client and records what it saw on `window.__seen`. */
export const FOLLOW_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>follow</title>
<p id="state">…</p>
<pre id="text"></pre>
<script type="module">
  import { followRun, snapshotEventId } from '/client.js';
  window.__seen = [];
  const events = new URLSearchParams(location.search).get('events');
  followRun(events).subscribe({
    next(s) {
      window.__seen.push({ id: snapshotEventId(s), state: s.state, done: s.done, textLength: s.textLength ?? 0, shown: document.getElementById('text').textContent.length });
      document.getElementById('state').textContent = s.state;
      document.getElementById('text').textContent = s.text ?? '';
    },
    complete() { window.__complete = true; },
    error(e) { window.__error = String(e && e.message); },
  });
</script>`;
