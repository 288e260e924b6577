import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnv, killLeftovers, runCli } from './run-cli.js';

afterAll(killLeftovers);

describe.concurrent('runstate --help', () => {
  it('lists the commands with examples', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const name of ['demo', 'watch', 'sim', 'listen', 'worker', 'queue', 'dashboard'])
      expect(stdout).toMatch(new RegExp(`^  ${name} +\\w`, 'm'));
    expect(stdout).toContain('Examples:');
  });

  it.each(['demo', 'watch', 'sim', 'listen', 'worker', 'queue', 'dashboard'])(
    '%s --help shows usage, options and examples',
    async (name) => {
      const { code, stdout, stderr } = await runCli([name, '--help']);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(new RegExp(`^Usage: runstate ${name}`));
      expect(stdout).toContain('Options:');
      expect(stdout).toMatch(/Examples:\n {2}runstate /);
    },
  );

  it('is reachable as `npx runstate` from the checkout itself, with no build', () => {
    // `npm install` links node_modules/.bin/runstate (the prepare script); npx finds it there.
    const root = new URL('../..', import.meta.url);
    const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
    const out = spawnSync('npx', ['--offline', 'runstate', '--version'], {
      cwd: root,
      env: cliEnv(),
      encoding: 'utf8',
    });
    expect([out.status, out.stdout, out.stderr]).toEqual([0, `${version}\n`, '']);
  });

  it('prints the version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const results = await Promise.all([runCli(['--version']), runCli(['-v'])]);
    for (const { code, stdout, stderr } of results) {
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toBe(`${version}\n`);
    }
  });

  it('refuses negative values in one line, exit 2, as every other bad flag', async () => {
    const cases: [string[], string][] = [
      [
        ['watch', '--response', 'r', '--max-wait', '-5s'],
        'runstate watch: --max-wait got a value starting with "-": negative values are refused (see runstate watch --help)',
      ],
      [
        ['sim', '--speed', '-1'],
        'runstate sim: --speed got a value starting with "-": negative values are refused (see runstate sim --help)',
      ],
      [
        ['sim', '--speed=-1'],
        'runstate sim: --speed must be a number > 0 (got "-1") (see runstate sim --help)',
      ],
      [
        ['watch', '--response', 'r', '--max-wait=-5s'],
        'runstate watch: --max-wait must be a duration like 90s, 10m, 1h or 500ms (got "-5s") (see runstate watch --help)',
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, cliEnv({ OPENAI_API_KEY: 'sim' }))));
    results.forEach(({ code, stdout, stderr }, i) => {
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(`${cases[i]![1]}\n`);
    });
  });

  it('refuses an unknown command and an empty command line with exit 2', async () => {
    const [unknown, empty] = await Promise.all([runCli(['wach']), runCli([])]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'runstate: unknown command "wach": try demo, watch, sim, listen, worker, queue, dashboard (runstate --help)\n',
    );
    expect(empty.code).toBe(2);
    expect(empty.stdout).toContain('Usage: runstate <command>');
  });
});
