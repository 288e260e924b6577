import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type QueueFixture, queueFixture, REDIS } from '../../queue/fixture.js';
import { cliEnv, killLeftovers, runCli, startCli } from '../run-cli.js';

let f: QueueFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});
afterAll(() => killLeftovers());

describe('runstate dashboard', () => {
  it('serves the page and the counts of a queue on 127.0.0.1, read-only, and stops on SIGTERM', async () => {
    f = await queueFixture('cli-dashboard');
    await f.addWorker();
    const job = await f.createResponse({ phases: { queued: 100, in_progress: 300 } });
    await f.runs.watch(job);
    await f.runs.result(job);
    const redis = `redis://${REDIS.host}:${REDIS.port}`;
    const cli = startCli(['dashboard', '--redis', redis, '--name', f.name, '--port', '0'], cliEnv());
    const [, url] = await cli.waitFor('stdout', /runstate dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/);
    expect(cli.stdout).toContain('read-only');
    const page = await fetch(url!);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("img-src 'none'");
    const { watches, counts, canCancel } = await (await fetch(`${url}api/watches`)).json();
    expect(canCancel).toBe(false);
    expect(counts.byState.completed).toBe(1);
    expect(watches).toEqual([
      expect.objectContaining({ key: (job as { id: string }).id, state: 'completed' }),
    ]);
    // The API object does not leave whole.
    expect(watches[0].job).toBeUndefined();
    expect((await fetch(`${url}api/cancel?key=x`, { method: 'POST' })).status).toBe(403);
    cli.child.kill('SIGTERM');
    expect((await cli.exit).code).toBe(0);
  });

  it('refuses a cancel token shorter than 16 characters', async () => {
    const env = cliEnv({ RUNSTATE_DASHBOARD_TOKEN: 'short' });
    const { code, stderr } = await runCli(['dashboard', '--redis', 'redis://127.0.0.1:6379'], env);
    expect(code).toBe(2);
    expect(stderr).toContain('RUNSTATE_DASHBOARD_TOKEN must be 16 characters or more');
  });
});
