import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DocSample, docSamples, ROOT } from '../helpers/doc-samples.js';

// Inside node_modules, so that the samples resolve `openai` as a user's project would.
const DIR = join(ROOT, 'node_modules', '.cache', 'runstate-doc-samples');

/**
 * The TypeScript samples of README.md and docs/ that run whole against the simulator: a complete module (its own
 * imports, only of openai and runstate) that starts the simulator and closes it. samples.test.ts compiles every
 * sample; these also run.
 */
function runnable(): DocSample[] {
  return docSamples().filter(({ code }) => {
    const modules = [...code.matchAll(/from '([^']+)'/g)].map((i) => i[1]!);
    const whole = /^import /m.test(code) && /startSimulator\(/.test(code) && /sim\.close\(\)/.test(code);
    return whole && modules.every((name) => ['openai', 'runstate', 'runstate/sim'].includes(name));
  });
}

function run(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe('samples in README.md and docs/ that run against the simulator', () => {
  const samples = runnable();

  it('finds the README quick start and the simulator page among them', () => {
    expect(samples.map((s) => s.name.split(':')[0])).toEqual(
      expect.arrayContaining(['README.md', 'docs/simulator.md']),
    );
  });

  it.each(samples)('$name runs to its end and sees a job complete', async ({ name, code }) => {
    mkdirSync(DIR, { recursive: true });
    const file = join(DIR, `${name.replace(/[^\w]/g, '-')}.mts`);
    // The sample imports runstate as a user would; here the package is this checkout's sources.
    const source = code
      .replace(/from 'runstate\/sim'/g, `from '${join(ROOT, 'src', 'sim', 'index.ts')}'`)
      .replace(/from 'runstate'/g, `from '${join(ROOT, 'src', 'index.ts')}'`);
    writeFileSync(file, `${source}\nexport {};\n`);
    const { code: exit, stdout, stderr } = await run(file);
    expect(stderr).toBe('');
    expect(exit).toBe(0);
    expect(stdout).toContain('completed');
  });
});
