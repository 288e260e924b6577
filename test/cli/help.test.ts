import { afterAll, describe, expect, it } from 'vitest';
import { killLeftovers, runCli } from './run-cli.js';

afterAll(killLeftovers);

describe.concurrent('runstate --help', () => {
  it('lists the commands with examples', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const name of ['demo', 'watch', 'sim', 'listen'])
      expect(stdout).toMatch(new RegExp(`^  ${name} +\\w`, 'm'));
    expect(stdout).toContain('Examples:');
  });

  it.each(['demo', 'watch', 'sim', 'listen'])('%s --help shows usage, options and examples', async (name) => {
    const { code, stdout, stderr } = await runCli([name, '--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(new RegExp(`^Usage: runstate ${name}`));
    expect(stdout).toContain('Options:');
    expect(stdout).toMatch(/Examples:\n {2}runstate /);
  });

  it('refuses an unknown command and an empty command line with exit 2', async () => {
    const [unknown, empty] = await Promise.all([runCli(['wach']), runCli([])]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'runstate: unknown command "wach": try demo, watch, sim, listen (runstate --help)\n',
    );
    expect(empty.code).toBe(2);
    expect(empty.stdout).toContain('Usage: runstate <command>');
  });
});
