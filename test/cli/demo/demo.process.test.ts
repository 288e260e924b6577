import { afterAll, describe, expect, it } from 'vitest';
import type { DemoSummary } from '../../../src/cli/demo/demo-summary.js';
import { cliEnv, killLeftovers, runCli, runCliInTerminal } from '../run-cli.js';

// Speed 20: the demo's ~100 simulated seconds (a 60 s expiry, a 90 s timeout) take about 5 s. Not 40: the demo's
// clock runs while it creates its jobs, and on a loaded machine a 1.7 s stall there was 68 simulated seconds, so
// the first reads came after jobs had gone through the states this file checks are shown.
const FAST = ['--speed', '20'];
const ESC = '\x1b';

afterAll(killLeftovers);

describe.concurrent('runstate demo', () => {
  it('prints one plain line per transition and ends with the summary (stdout is a pipe)', async () => {
    const { code, stdout, stderr } = await runCli(['demo', ...FAST]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // No escape sequence at all: no colours, no cursor moves.
    expect(stdout).not.toContain('\x1b');
    for (const state of [
      'in_progress',
      'requires_action',
      'completed',
      'failed',
      'expired',
      'cancelled',
      'timed_out',
    ]) {
      expect(stdout).toMatch(new RegExp(`^ *\\+.+  #\\d\\d (poll|webhook|hybrid) +\\S+ +${state}\\b`, 'm'));
    }
    expect(stdout).toContain('server_error: The model backend stopped responding');
    expect(stdout).toContain('waits for approve_refund (no handler)');
    expect(stdout).toMatch(/Summary: 12 jobs in/);
    expect(stdout).toMatch(/^poll +4 +\d+/m);
    expect(stdout).toMatch(/^webhook +4 +\d+/m);
    expect(stdout).toMatch(/^hybrid +4 +\d+/m);
    expect(stdout).toContain('12/12 jobs ended as scripted.');
    // One count under one name: each job's last line says "(N calls)", and the table's calls column agrees.
    const live = new Map(
      [...stdout.matchAll(/#(\d\d) .*\((\d+) calls?\)/g)].map((m) => [Number(m[1]), Number(m[2])]),
    );
    const header = stdout
      .split('\n')
      .findIndex((l) => /^\s*#\s+fate\s+kind\s+source\s+job\s+state\s+delay\s+calls$/.test(l));
    expect(header).toBeGreaterThanOrEqual(0);
    const rows = stdout
      .split('\n')
      .slice(header + 1, header + 13)
      .map((l) => /^\s*(\d+)\s.*\s(\d+)$/.exec(l)!)
      .map((m) => [Number(m[1]), Number(m[2])] as const);
    expect(rows).toHaveLength(12);
    expect(new Map(rows)).toEqual(live);
    expect(stdout).not.toMatch(/\b1 calls\b|\b1 jobs\b/);
  });

  it('prints a machine-readable summary with --json', async () => {
    const { code, stdout } = await runCli(['demo', '--json', '--jobs', '6', '--seed', '3', ...FAST]);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as DemoSummary;
    expect(summary).toMatchObject({ seed: 3, speed: 20, asScripted: 6 });
    expect(summary.jobs.map((j) => j.state)).toEqual(summary.jobs.map((j) => j.expected));
    expect(summary.jobs.map((j) => j.fate)).toEqual([
      'completed',
      'two tool calls',
      'failed',
      'expired waiting for tools',
      'cancelled',
      'timed out',
    ]);
    expect(summary.sources.map((s) => s.source)).toEqual(['poll', 'webhook', 'hybrid']);
    // The streamed response: its whole text, over one stream connection, shown as it grew.
    const { streamed } = summary as DemoSummary & {
      streamed: { state: string; source: string; calls: number; text: string; textSnapshots: number };
    };
    expect(streamed).toMatchObject({
      state: 'completed',
      source: 'stream',
      calls: 1,
      text: 'Autumn moonlight, a worm digs silently into the chestnut.',
    });
    expect(streamed.textSnapshots).toBeGreaterThan(1);
    const by = Object.fromEntries(summary.sources.map((s) => [s.source, s]));
    // Polling a run that waits a minute for a human costs retrieves; webhooks fetch once per event.
    expect(by.poll!.retrieves).toBeGreaterThan(by.webhook!.retrieves);
    for (const job of summary.jobs) {
      if (job.state === 'timed_out') {
        expect(job.endedAt).toBeNull();
        expect(job.detectionDelayMs).toBeNull();
      } else {
        expect(job.detectionDelayMs).toBeGreaterThanOrEqual(0);
        expect(job.detectedAt).toBe(job.endedAt! + job.detectionDelayMs!);
      }
    }
  });

  it('redraws a live view in place on a terminal, then prints the summary', async () => {
    const { code, stdout } = await runCliInTerminal(['demo', '--jobs', '6', ...FAST]);
    expect(code).toBe(0);
    expect(stdout).toContain('\x1b[?25l'); // cursor hidden while redrawing
    expect(stdout).toMatch(new RegExp(`${ESC}\\[\\d+A\\r${ESC}\\[2K`)); // back up over the block, erase, rewrite
    expect(stdout).toContain('\x1b[?25h'); // and shown again
    expect(stdout).toContain('\x1b[32mcompleted\x1b[39m');
    expect(stdout).toContain('6/6 done');
    expect(stdout).toMatch(/Summary: 6 jobs in/);
    expect(stdout).toContain('6/6 jobs ended as scripted.');
    // The live view is the per-job table: no transition log on a terminal.
    expect(stdout).not.toMatch(/ {2}#01 (poll|webhook|hybrid) /);
  });

  it('keeps redrawing but drops colours when NO_COLOR is set', async () => {
    const { code, stdout } = await runCliInTerminal(
      ['demo', '--jobs', '1', ...FAST],
      cliEnv({ NO_COLOR: '1' }),
    );
    expect(code).toBe(0);
    expect(stdout).toContain('\x1b[2K');
    expect(stdout).not.toMatch(new RegExp(`${ESC}\\[\\d+(;\\d+)*m`)); // no colour (SGR) sequence
    expect(stdout).toContain('1/1 job ended as scripted.');
    expect(stdout).toContain('runstate demo: 1 job on the simulator');
    expect(stdout).toMatch(/Summary: 1 job in/);
  });

  it('refuses a bad option in one line, exit 2', async () => {
    const { code, stdout, stderr } = await runCli(['demo', '--jobs', 'many']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      'runstate demo: --jobs must be a whole number from 1 to 60 (got "many") (see runstate demo --help)',
    ]);
  });
});
