import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

it('examples/lifecycle.ts watches a run with runstate to its end, answering its tool call once', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/lifecycle.ts'], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toMatch(/^ +\d+\.\d s {2}requires_action +status requires_action/m);
  expect(stdout.match(/→ get_weather\(Paris\) for call_\w+/g)).toHaveLength(1);
  expect(stdout).toMatch(/^ +\d+\.\d s {2}completed +status completed, \d+ calls$/m);
  expect(stdout).toContain('assistant: Simulated reply using the tool results: {"city":"Paris","celsius":18');
  // The watch's own count: every retrieve the simulator saw, plus the one submission.
  const [, calls, retrieves] = /completed: the watch made (\d+) calls \((\d+) retrieves, 1 submission\)/.exec(
    stdout,
  )!;
  expect(Number(calls)).toBe(Number(retrieves) + 1);
});
