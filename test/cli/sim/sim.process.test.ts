import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { killLeftovers, runCli, startCli } from '../run-cli.js';

afterAll(killLeftovers);

describe.concurrent('runstate sim', () => {
  it('starts, answers the SDK, and stops cleanly on SIGTERM', async () => {
    const cli = startCli(['sim', '--port', '0', '--speed', '100', '--seed', '5', '--rate-limit', '0']);
    const [, baseURL] = await cli.waitFor('stdout', /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)\n/);
    await cli.waitFor('stdout', /Ctrl-C to stop/);
    expect(cli.stdout).toContain(`new OpenAI({ baseURL: '${baseURL}', apiKey: 'sim' })`);
    expect(cli.stdout).toContain(`runstate watch --base-url ${baseURL} --response <id>`);

    const client = new OpenAI({ baseURL, apiKey: 'sim', maxRetries: 0 });
    const created = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true });
    expect(created.status).toBe('queued');
    // The default script ends within ~3 s of simulated time: 30 ms at speed 100.
    await new Promise((r) => setTimeout(r, 100));
    expect((await client.responses.retrieve(created.id)).status).toBe('completed');

    cli.child.kill('SIGTERM');
    const { code, stdout, stderr } = await cli.exit;
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/runstate sim: stopped \(SIGTERM\) after 2 requests and 1 jobs\n$/);
  });

  it('applies fault flags and a scenario', async () => {
    const cli = startCli([
      'sim',
      '--port',
      '0',
      '--rate-limit',
      '100%',
      '--scenario',
      '{"outcome":"failed","error":{"message":"nope"}}',
    ]);
    const [, baseURL] = await cli.waitFor('stdout', /listening on (\S+)\n/);
    await cli.waitFor('stdout', /Ctrl-C to stop/);
    expect(cli.stdout).toContain('faults: 429 on 100%');
    expect(cli.stdout).toContain('"outcome":"failed"');
    const client = new OpenAI({ baseURL, apiKey: 'sim', maxRetries: 0 });
    const error = await client.responses.retrieve('resp_x').catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBe(429);
    cli.child.kill('SIGINT');
    expect((await cli.exit).code).toBe(0);
  });

  it('refuses a scenario that does not make sense, in one line, exit 2', async () => {
    const { code, stderr } = await runCli(['sim', '--scenario', '{"outcome":"exploded"}']);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^runstate sim: --scenario: scenario\.outcome: expected one of completed, [^\n]+\n$/,
    );
  });
});
