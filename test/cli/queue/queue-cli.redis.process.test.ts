import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type QueueFixture, queueFixture, REDIS } from '../../queue/fixture.js';
import { cliEnv, killLeftovers, runCli } from '../run-cli.js';

let f: QueueFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});
afterAll(() => killLeftovers());

describe('runstate queue', () => {
  it('prints watches by the state of their job, ended ones by outcome, their steps and requests', async () => {
    f = await queueFixture('cli');
    await f.addWorker();
    f.sim.setFaults({ rateLimit: { next: 1, routes: ['responses.retrieve'], retryAfterMs: 200 } });
    const done = await f.createResponse({ phases: { queued: 100, in_progress: 500 }, outcome: 'failed' });
    const going = await f.createResponse({ phases: { queued: 100, in_progress: 600_000 } });
    const missing = { kind: 'response' as const, id: 'resp_missing' };
    for (const job of [done, going, missing]) await f.runs.watch(job);
    await f.runs.result(done);
    await f.runs.result(missing).catch(() => {});
    while ((await f.runs.counts()).byState.in_progress === 0) await new Promise((r) => setTimeout(r, 50));

    const args = ['queue', '--redis', `redis://${REDIS.host}:${REDIS.port}`, '--name', f.name, '--once'];
    const seenBefore = f.sim.stats().requests.byRoute['responses.retrieve']!.total;
    // A worker writes its request counts once a second: those made before seenBefore are all written by then.
    await new Promise((r) => setTimeout(r, 1100));
    const text = await runCli(args, cliEnv());
    const seenAfter = f.sim.stats().requests.byRoute['responses.retrieve']!.total;
    expect(text).toMatchObject({ code: 0, stderr: '' });
    // The watch going on sleeps, is due or steps: one of the three.
    const line =
      /^watching 1 \(in_progress 1\) {2}ended 2 \(failed 1, errors 1\) {2}steps: delayed (\d) waiting (\d) active (\d) {2}requests\/min (\d+) \(429: (\d+)\)\n$/;
    expect(text.stdout).toMatch(line);
    const [delayed, waiting, active, perMinute, limited] = line.exec(text.stdout)!.slice(1).map(Number);
    expect(delayed! + waiting! + active!).toBe(1);
    // Every request of the workers in the last minute (the test ran for less than one), as the simulator saw them.
    expect(perMinute).toBeGreaterThanOrEqual(seenBefore);
    expect(perMinute).toBeLessThanOrEqual(seenAfter);
    expect(limited).toBe(1);
    const json = await runCli([...args, '--json'], cliEnv());
    expect(JSON.parse(json.stdout)).toMatchObject({
      starting: 0,
      errors: 1,
      stopped: 0,
      byState: { in_progress: 1, failed: 1, completed: 0 },
      completed: 1,
      failed: 1,
    });
  });
});
