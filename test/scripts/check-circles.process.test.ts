import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = join(import.meta.dirname, '../../scripts/check-circles.mjs');

/** Runs the check over `dir`; resolves with its exit code and output. */
async function check(dir: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, dir]);
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const { code, stdout, stderr } = e as { code: number; stdout: string; stderr: string };
    return { code, out: stdout + stderr };
  }
}

describe('scripts/check-circles.mjs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runstate-circles-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const files = (entries: Record<string, string>) =>
    Promise.all(Object.entries(entries).map(([name, text]) => writeFile(join(dir, name), text)));

  it('finds a circle made of a type-only import and a lazy import()', async () => {
    await files({
      'command.ts':
        "export interface Request { id: string }\nexport const load = () => import('./job.js');\n",
      'job.ts': "import type { Request } from './command.js';\nexport const run = (r: Request) => r.id;\n",
    });
    const { code, out } = await check(dir);
    expect(code).toBe(1);
    expect(out).toMatch(/import circle \(2 modules\): .*command\.ts → .*job\.ts → .*command\.ts/);
  });

  it('passes once the shared type has a module of its own', async () => {
    await files({
      'request.ts': 'export interface Request { id: string }\n',
      'command.ts': "export const load = () => import('./job.js');\n",
      'job.ts': "import type { Request } from './request.js';\nexport const run = (r: Request) => r.id;\n",
    });
    const { code, out } = await check(dir);
    expect(code).toBe(0);
    expect(out).toContain('no import circle among 3 modules');
  });
});
