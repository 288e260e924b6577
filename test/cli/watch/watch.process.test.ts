import { createServer } from 'node:net';
import OpenAI from 'openai';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  createManualClock,
  generateWebhookSecret,
  type ManualClock,
  type Scenario,
  type Simulator,
  startSimulator,
} from '../../../src/sim/index.js';
import { createAgentSession } from '../../helpers/agent-session.js';
import { createEvalRun, createFineTune } from '../../helpers/more-kinds.js';
import { cliEnv, killLeftovers, runCli, startCli } from '../run-cli.js';

// Each test has its own simulator on a manual clock that starts now: the test moves the job from one status to
// the next while the CLI, a real child process, polls it in real time.
const sims: Simulator[] = [];
afterAll(async () => {
  killLeftovers();
  await Promise.all(sims.map((s) => s.close()));
});

async function simulator(
  options: { apiKey?: string } = {},
): Promise<{ sim: Simulator<ManualClock>; client: OpenAI }> {
  const sim = await startSimulator({ ...options, clock: createManualClock(Date.now()) });
  sims.push(sim);
  return {
    sim,
    client: new OpenAI({ baseURL: sim.baseURL, apiKey: options.apiKey ?? 'sim', maxRetries: 0 }),
  };
}

const meta = (scenario: Scenario) => ({ sim_scenario: JSON.stringify(scenario) });

const response = (client: OpenAI, scenario: Scenario) =>
  client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true, metadata: meta(scenario) });

async function run(client: OpenAI, scenario: Scenario) {
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini' });
  const thread = await client.beta.threads.create({});
  const created = await client.beta.threads.runs.create(thread.id, {
    assistant_id: assistant.id,
    metadata: meta(scenario),
  });
  return { threadId: thread.id, runId: created.id };
}

const keyed = cliEnv({ OPENAI_API_KEY: 'sim' });
const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
const transition = (state: string) => new RegExp(`^${ISO}  ${state} +status `, 'm');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A response created with `stream: true`; the test leaves its stream once it has the id. */
async function streamed(client: OpenAI, scenario: Scenario): Promise<string> {
  const events = await client.responses.create({
    model: 'gpt-4o-mini',
    input: 'hi',
    background: true,
    stream: true,
    metadata: meta(scenario),
  });
  for await (const event of events) if (event.type === 'response.created') return event.response.id;
  throw new Error('no response.created');
}

const haiku: Scenario = {
  phases: { queued: 0, in_progress: 2000 },
  stream: { deltas: ['Autumn ', 'moon, ', 'a quiet ', 'pond'], everyMs: 500 },
};

describe.concurrent('runstate watch', () => {
  it('prints the text of a streamed response as it comes with --source stream', async () => {
    const { sim, client } = await simulator();
    const id = await streamed(client, haiku);
    const cli = startCli(['watch', '--base-url', sim.baseURL, '--response', id, '--source', 'stream'], keyed);
    await cli.waitFor('stdout', transition('in_progress'));
    await sim.clock.advance(1000);
    await cli.waitFor('stdout', /Autumn moon, /);
    expect(cli.stdout).not.toMatch(/quiet/);
    await sim.clock.advance(1000);
    const { code, stdout, stderr } = await cli.exit;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('(source stream,');
    expect(stdout).toMatch(
      new RegExp(`\nAutumn moon, a quiet pond\n${ISO}  completed +status completed via stream`),
    );
  });

  it('prints one JSON line per piece of text with --source stream --json', async () => {
    const { sim, client } = await simulator();
    const id = await streamed(client, haiku);
    const cli = startCli(
      ['watch', '--base-url', sim.baseURL, '--response', id, '--source', 'stream', '--json'],
      keyed,
    );
    await cli.waitFor('stdout', /"state":"in_progress"/);
    for (let i = 0; i < 4; i++) {
      await sim.clock.advance(500);
      await cli.waitFor(
        'stdout',
        new RegExp(`"textLength":${haiku.stream!.deltas!.slice(0, i + 1).join('').length}\\b`),
      );
    }
    const { code, stdout } = await cli.exit;
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.delta ?? '').join('')).toBe('Autumn moon, a quiet pond');
    expect(lines.at(-1)).toMatchObject({ state: 'completed', source: 'stream', done: true, textLength: 25 });
  });

  it('never prints a state or the text going back with --source stream, on a response already writing', async () => {
    const { sim, client } = await simulator();
    const id = await streamed(client, { ...haiku, phases: { queued: 300, in_progress: 2000 } });
    // In progress before the command starts: its first read sees in_progress, and the stream it then opens
    // replays from response.queued and the first pieces of text.
    await sim.clock.advance(1300);
    const cli = startCli(
      ['watch', '--base-url', sim.baseURL, '--response', id, '--source', 'stream', '--json'],
      keyed,
    );
    await cli.waitFor('stdout', /"state":"in_progress"/);
    await sim.clock.advance(1000);
    const { code, stdout } = await cli.exit;
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const rank = (state: string) => ['queued', 'in_progress', 'completed'].indexOf(state);
    const ranks = lines.map((l) => rank(l.state));
    expect(ranks[0]).toBe(1);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    const lengths = lines.map((l) => l.textLength ?? 0);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
    // The text once, in order, though the stream replayed from its first piece.
    expect(lines.map((l) => l.delta ?? '').join('')).toBe('Autumn moon, a quiet pond');
  });

  it('prints the final text of a response that had already ended, with --source stream', async () => {
    const { sim, client } = await simulator();
    const id = await streamed(client, haiku);
    await sim.clock.advance(3000);
    const { code, stdout } = await runCli(
      ['watch', '--base-url', sim.baseURL, '--response', id, '--source', 'stream'],
      keyed,
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(`\nAutumn moon, a quiet pond\n${ISO}  completed +status completed via poll`),
    );
  });

  it('says in its JSON lines that a response created without stream was polled instead', async () => {
    const { sim, client } = await simulator();
    const plain = await response(client, { phases: { queued: 0, in_progress: 500 } });
    const polled = startCli(
      ['watch', '--base-url', sim.baseURL, '--response', plain.id, '--source', 'stream', '--json'],
      keyed,
    );
    await polled.waitFor('stdout', /refused to stream/);
    await sim.clock.advance(1000);
    const fallback = await polled.exit;
    expect(fallback.code).toBe(0);
    expect(JSON.parse(fallback.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      state: 'completed',
      source: 'poll',
      note: expect.stringMatching(/refused to stream .*: watched by polling instead/),
    });
  });

  it('prints each transition with its time and exits 0 when the job completes', async () => {
    const { sim, client } = await simulator();
    const r = await response(client, { phases: { queued: 1000, in_progress: 5000 } });
    const cli = startCli(['watch', '--base-url', sim.baseURL, '--response', r.id], keyed);
    await cli.waitFor('stdout', transition('queued'));
    await sim.clock.advance(1000);
    await cli.waitFor('stdout', transition('in_progress'));
    await sim.clock.advance(5000);
    const { code, stdout, stderr } = await cli.exit;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe(
      `Watching response ${r.id} on ${sim.baseURL} (source poll, gives up after 10m00s)`,
    );
    const states = [...stdout.matchAll(new RegExp(`^${ISO}  (\\w+)`, 'gm'))].map((m) => m[1]);
    expect(states).toEqual(['queued', 'in_progress', 'completed']);
    expect(stdout).not.toContain('\x1b');
  });

  it('stops at SIGINT with exit 130 within seconds, while a poll it dropped waits for a server that does not answer', async () => {
    const { sim, client } = await simulator();
    const r = await response(client, { phases: { queued: 0, in_progress: 3_600_000 } });
    const cli = startCli(['watch', '--base-url', sim.baseURL, '--response', r.id], keyed);
    await cli.waitFor('stdout', transition('in_progress'));
    // From now on no read is answered for a minute (wall-clock ms): the next poll hangs.
    const before = sim.job(r.id)!.retrieves;
    sim.setFaults({ latency: { ms: 60_000, routes: ['*.retrieve'] } });
    await vi.waitFor(() => expect(sim.job(r.id)!.retrieves).toBeGreaterThan(before), { timeout: 10_000 });
    const t0 = Date.now();
    cli.child.kill('SIGINT');
    const { code, stderr } = await cli.exit;
    expect(code).toBe(130);
    expect(stderr).toContain('stopped watching (SIGINT); the job goes on');
    // The grace the CLI gives what is still pending (2 s), not the minute the read would take.
    expect(Date.now() - t0).toBeLessThan(8_000);
    sim.setFaults({ latency: null });
  });

  it('follows a job through its webhooks with --source webhook, on the port it is given', async () => {
    const { sim, client } = await simulator();
    const port = await freePort();
    const secret = generateWebhookSecret();
    sim.registerWebhook(`http://127.0.0.1:${port}/webhooks`, secret);
    const r = await response(client, { phases: { queued: 500, in_progress: 2000 } });
    const cli = startCli(
      ['watch', '--base-url', sim.baseURL, '--response', r.id, '--source', 'webhook', '--port', String(port)],
      cliEnv({ OPENAI_API_KEY: 'sim', OPENAI_WEBHOOK_SECRET: secret }),
    );
    await cli.waitFor('stderr', new RegExp(`receiving webhooks on http://127\\.0\\.0\\.1:${port}/`));
    await cli.waitFor('stdout', transition('queued'));
    await sim.clock.advance(2500);
    await sim.flushWebhooks();
    const { code, stdout } = await cli.exit;
    expect(code).toBe(0);
    expect(stdout).toMatch(/ completed +status completed via webhook, 2 calls$/m);
    expect(sim.webhookDeliveries().map((d) => [d.event.type, d.state])).toEqual([
      ['response.completed', 'delivered'],
    ]);
    expect(`${stdout}${cli.stderr}`).not.toContain(secret);
  });

  it('exits 1 for a failed job and prints its error message', async () => {
    const { sim, client } = await simulator();
    const r = await response(client, {
      phases: { queued: 100, in_progress: 500 },
      outcome: 'failed',
      error: { code: 'server_error', message: 'The model ran out of patience' },
    });
    await sim.clock.advance(1000);
    const { code, stdout } = await runCli(['watch', '--base-url', sim.baseURL, '--response', r.id], keyed);
    expect(code).toBe(1);
    expect(stdout).toMatch(transition('failed'));
    expect(stdout).toContain('  error: server_error: The model ran out of patience');
  });

  it('exits 1 for a cancelled batch, with one JSON line per transition under --json', async () => {
    const { sim, client } = await simulator();
    const b = await client.batches.create({
      input_file_id: 'file-x',
      endpoint: '/v1/responses',
      completion_window: '24h',
      metadata: meta({
        anyInputFile: true,
        phases: { validating: 100, in_progress: 500, cancelling: 300 },
        outcome: 'cancelled',
        requests: 8,
        workMs: 1000,
      }),
    });
    await sim.clock.advance(2000);
    const { code, stdout } = await runCli(
      ['watch', '--base-url', sim.baseURL, '--batch', b.id, '--json'],
      keyed,
    );
    expect(code).toBe(1);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const cancelled = (await client.batches.retrieve(b.id)).request_counts;
    expect(cancelled?.completed).toBeGreaterThan(0);
    // The batch's progress, as the API's request_counts say (the partial counts of a cancelled batch).
    expect(lines).toEqual([
      expect.objectContaining({
        state: 'cancelled',
        status: 'cancelled',
        done: true,
        calls: 1,
        progress: {
          done: (cancelled?.completed ?? 0) + (cancelled?.failed ?? 0),
          completed: cancelled?.completed,
          failed: cancelled?.failed,
          total: 8,
        },
      }),
    ]);
  });

  it('watches an eval run named --eval-run EVAL_ID/RUN_ID, with a progress line of its graded items', async () => {
    const { sim, client } = await simulator();
    const ref = await createEvalRun(
      client,
      { phases: { queued: 100, in_progress: 4000 }, failedRequests: 1 },
      4,
    );
    const { evalId, runId } = ref as { evalId: string; runId: string };
    // Halfway through: 2 of 4 items graded; the one scripted to fail is the last.
    await sim.clock.advance(2100);
    const cli = startCli(['watch', '--base-url', sim.baseURL, '--eval-run', `${evalId}/${runId}`], keyed);
    await cli.waitFor('stdout', /2\/4 items/);
    await sim.clock.advance(5000);
    const { code, stdout, stderr } = await cli.exit;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe(
      `Watching eval run ${runId} of eval ${evalId} on ${sim.baseURL} (source poll, gives up after 10m00s)`,
    );
    expect(stdout).toMatch(/in_progress +status in_progress via poll, 1 call +[█░]+ 2\/4 items\n/);
    expect(stdout).toMatch(/completed +status completed via poll, 2 calls +[█░]+ 4\/4 items \(1 failed\)/);
  });

  it('watches a fine-tune named --fine-tune ID, with a progress line of its training steps from its events', async () => {
    const { sim, client } = await simulator();
    const { id } = await createFineTune(client, {
      phases: { validating: 50, queued: 50, in_progress: 4000 },
      requests: 10,
    });
    // Halfway through training: 5 of 10 steps.
    await sim.clock.advance(2100);
    // A fine-tune's first poll is 30 s away: the watch gives up first, on what its first read saw.
    const { code, stdout, stderr } = await runCli(
      ['watch', '--base-url', sim.baseURL, '--fine-tune', id, '--max-wait', '1s'],
      keyed,
    );
    expect(stderr).toBe('');
    expect(code).toBe(1);
    // The first read is a retrieve and an events read: two calls, both counted, both seen by the simulator.
    expect(stdout).toMatch(/in_progress +status running via poll, 2 calls +[█░]+ 5\/10 steps\n/);
    expect(sim.job(id)).toMatchObject({ retrieves: 1, requests: 3 });
    expect(sim.stats().requests.byRoute['fine_tuning.jobs.events']?.total).toBe(1);
  });

  it('shows the tool calls a run waits for and gives up at --max-wait, exit 1', async () => {
    const { sim, client } = await simulator();
    const { threadId, runId } = await run(client, {
      phases: { queued: 100, in_progress: 500 },
      toolCalls: [[{ name: 'lookup_order', arguments: { order: 'A-1' } }]],
    });
    await sim.clock.advance(1000);
    const args = [
      'watch',
      '--base-url',
      sim.baseURL,
      '--thread',
      threadId,
      '--run',
      runId,
      '--max-wait',
      '1500ms',
    ];
    const { code, stdout } = await runCli(args, keyed);
    expect(code).toBe(1);
    expect(stdout).toMatch(transition('requires_action'));
    expect(stdout).toContain('  waiting for tool outputs: lookup_order({"order":"A-1"})');
    expect(stdout).toMatch(transition('timed_out'));
    expect(stdout).toContain('gave up after 1.5 s; the job is still requires_action');
  });

  it('follows an agent session with --agent-session: shows the call it waits for, and exits 0 at idle', async () => {
    const { sim, client } = await simulator();
    const waiting = await createAgentSession(client, {
      environment: { type: 'none' },
      input: 'Look up A-1',
      metadata: {
        sim_scenario: JSON.stringify({
          phases: { in_progress: 500 },
          toolCalls: [[{ name: 'lookup_order', arguments: { order: 'A-1' } }]],
        }),
      },
    });
    const done = await createAgentSession(client, {
      environment: { type: 'none' },
      input: 'Hello',
      metadata: { sim_scenario: JSON.stringify({ phases: { in_progress: 500 }, outcome: 'completed' }) },
    });
    await sim.clock.advance(1000);
    const base = ['watch', '--base-url', sim.baseURL, '--agent-session'];
    const [stuck, idle] = await Promise.all([
      runCli([...base, waiting.id, '--max-wait', '1500ms'], keyed),
      runCli([...base, done.id], keyed),
    ]);
    expect(stuck.code).toBe(1);
    expect(stuck.stdout).toContain('  waiting for tool outputs: lookup_order({"order":"A-1"})');
    expect(stuck.stdout).toMatch(transition('timed_out'));
    expect(idle.code).toBe(0);
    expect(idle.stdout).toMatch(transition('completed'));
  });

  it('exits 1 for a run that expired waiting for its tool outputs', async () => {
    const { sim, client } = await simulator();
    const { threadId, runId } = await run(client, {
      phases: { queued: 100, in_progress: 500 },
      toolCalls: [[{ name: 'lookup_order', arguments: { order: 'A-1' } }]],
      expiresAfterMs: 60_000,
    });
    await sim.clock.advance(61_000);
    const args = ['watch', '--base-url', sim.baseURL, '--thread', threadId, '--run', runId];
    const { code, stdout } = await runCli(args, keyed);
    expect(code).toBe(1);
    expect(stdout).toMatch(transition('expired'));
  });

  it('explains a missing OPENAI_API_KEY in one line, exit 2', async () => {
    const { code, stdout, stderr } = await runCli(['watch', '--response', 'resp_1'], cliEnv());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^runstate watch: OPENAI_API_KEY is not set: [^\n]+\n$/);
  });

  it('says in one line that a job does not exist (404), exit 2', async () => {
    const { sim } = await simulator();
    const { code, stdout, stderr } = await runCli(
      ['watch', '--base-url', sim.baseURL, '--response', 'resp_nope'],
      keyed,
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'runstate watch: response resp_nope not found (404): check the ids, or whether the job belongs to another project\n',
    );
  });

  it('says in one line that the key was refused (401), without echoing it, exit 2', async () => {
    const { sim } = await simulator({ apiKey: 'sk-right' });
    const env = cliEnv({ OPENAI_API_KEY: 'sk-wrong-key' });
    const { code, stderr } = await runCli(['watch', '--base-url', sim.baseURL, '--batch', 'batch_1'], env);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^runstate watch: batch batch_1: the API refused the credentials \(401\)[^\n]*\n$/,
    );
    expect(stderr).not.toContain('sk-wrong-key');
  });

  it('says in one line that the server cannot be reached, exit 2', async () => {
    const { code, stdout, stderr } = await runCli(
      ['watch', '--base-url', 'http://127.0.0.1:9/v1', '--response', 'resp_1'],
      keyed,
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^runstate watch: cannot reach http:\/\/127\.0\.0\.1:9\/v1 \([^)]+\): [^\n]+\n$/);
  });

  it('refuses incomplete command lines in one line, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['watch'], /say which job/],
      [['watch', '--thread', 'thread_1'], /needs both --thread ID and --run ID/],
      [['watch', '--response', 'r', '--batch', 'b'], /one job at a time/],
      [['watch', '--eval-run', 'evalrun_1'], /--eval-run takes EVAL_ID\/RUN_ID/],
      [['watch', '--file-batch', 'vs_1/'], /--file-batch takes VS_ID\/BATCH_ID/],
      [['watch', '--agent-session', 's', '--batch', 'b'], /one job at a time/],
      [
        ['watch', '--response', 'r', '--completion-window', '24h'],
        /--completion-window must be soonest, 2h or 8h/,
      ],
      [['watch', '--batch', 'b', '--completion-window', '2h'], /--completion-window goes with --response/],
      [['watch', '--response', 'r', '--source', 'hybrid'], /--port \(where webhooks arrive\) is required/],
      [
        ['watch', '--response', 'r', '--source', 'carrier-pigeon'],
        /--source must be poll, webhook, hybrid or stream/,
      ],
      [['watch', '--response', 'r', '--nope'], /Unknown option '--nope'/],
      [
        ['watch', '--response', 'r', '--source', 'hybrid', '--port', '0', '--secret', 'plain-secret'],
        /^runstate watch: --secret does not start with whsec_/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, keyed)));
    results.forEach(({ code, stderr }, i) => {
      expect(code).toBe(2);
      expect(stderr).toMatch(cases[i]![1]);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    });
  });
});
