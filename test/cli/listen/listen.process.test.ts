import { afterAll, describe, expect, it } from 'vitest';
import { makeWebhookSecret, signWebhook, webhookEventBody } from '../../helpers/sign-webhook.js';
import { cliEnv, killLeftovers, runCli, startCli } from '../run-cli.js';

afterAll(killLeftovers);

describe.concurrent('runstate listen', () => {
  it('prints a verified event, refuses a forged one with its reason, and never prints the secret', async () => {
    const secret = makeWebhookSecret();
    const cli = startCli(['listen', '--port', '0'], cliEnv({ OPENAI_WEBHOOK_SECRET: secret }));
    const [, url] = await cli.waitFor('stderr', /receiving webhooks on (http:\/\/127\.0\.0\.1:\d+\/)/);
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${url}webhooks/openai`, { method: 'POST', body, headers });

    const body = webhookEventBody('response.completed', 'resp_abc123');
    const signed = signWebhook({ secret, body, id: 'wh_genuine' });
    expect((await post(body, signed)).status).toBe(200);
    await cli.waitFor('stdout', /✓ response\.completed {2}resp_abc123 {2}.*webhook-id wh_genuine/);

    const forged = signWebhook({ secret: makeWebhookSecret(), body, id: 'wh_forged' });
    expect((await post(body, forged)).status).toBe(401);
    await cli.waitFor('stdout', /✗ rejected bad_signature \(401\) {2}webhook-id wh_forged: /);

    // OpenAI retries a delivery with the same webhook-id: answered 200, shown as a duplicate.
    expect((await post(body, signed)).status).toBe(200);
    await cli.waitFor('stdout', /= duplicate of webhook-id wh_genuine/);

    expect((await post('{}', { 'content-type': 'application/json' })).status).toBe(400);
    await cli.waitFor('stdout', /✗ rejected missing_headers \(400\)/);

    cli.child.kill('SIGTERM');
    const { code, stdout, stderr } = await cli.exit;
    expect(code).toBe(0);
    expect(stderr).toContain('stopped: 1 accepted, 1 duplicates, 2 rejected');
    expect(stdout).not.toContain('\x1b');
    const secretBytes = secret.slice('whsec_'.length);
    expect(`${stdout}${stderr}`).not.toContain(secretBytes);
  });

  it('prints one JSON object per delivery with --json', async () => {
    const secret = makeWebhookSecret();
    const cli = startCli(['listen', '--port', '0', '--secret', secret, '--json']);
    const [, url] = await cli.waitFor('stderr', /receiving webhooks on (http:\/\/\S+\/) /);
    const body = webhookEventBody('batch.failed', 'batch_42');
    await fetch(url!, { method: 'POST', body, headers: signWebhook({ secret, body, id: 'wh_1' }) });
    await fetch(url!, {
      method: 'POST',
      body,
      headers: signWebhook({ secret, body, id: 'wh_2', timestamp: 1 }),
    });
    await cli.waitFor('stdout', /stale_timestamp/);
    cli.child.kill('SIGINT');
    const { code, stdout } = await cli.exit;
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        verdict: 'accepted',
        event: expect.objectContaining({ type: 'batch.failed', data: { id: 'batch_42' }, webhookId: 'wh_1' }),
      },
      expect.objectContaining({
        verdict: 'rejected',
        reason: 'stale_timestamp',
        status: 401,
        webhookId: 'wh_2',
      }),
    ]);
  });

  it('refuses a secret without whsec_, from the flag or the environment: one line, exit 2', async () => {
    const results = await Promise.all([
      runCli(['listen', '--port', '0', '--secret', 'plain-secret']),
      runCli(['listen', '--port', '0'], cliEnv({ OPENAI_WEBHOOK_SECRET: 'plain-secret' })),
    ]);
    for (const [i, origin] of ['--secret', 'OPENAI_WEBHOOK_SECRET'].entries()) {
      const { code, stdout, stderr } = results[i]!;
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(
        new RegExp(`^runstate listen: ${origin}: webhook secret #1 does not start with whsec_`),
      );
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).not.toContain('plain-secret');
    }
  });

  it('needs a secret: one line, exit 2', async () => {
    const { code, stderr } = await runCli(['listen']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'runstate listen: --secret (or OPENAI_WEBHOOK_SECRET) is required (see runstate listen --help)\n',
    );
  });
});
