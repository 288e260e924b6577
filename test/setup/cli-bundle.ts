import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The CLI (src/cli/main.ts) bundled once for this run: what the CLI tests start as child processes. */
    cliEntry: string;
  }
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Bundles the CLI from source once per test run, so each CLI child process starts plain `node` on it instead of
 * compiling the sources through tsx at every start (half the start-up CPU of the ~50 processes the suite starts).
 * Packages stay external and resolve from node_modules, as they do under tsx. The directory sits two levels under
 * the root, where src/cli/main.ts sits, so its `../../package.json` is the same file.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const outdir = mkdtempSync(join(ROOT, 'node_modules', '.runstate-cli-'));
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  project.provide('cliEntry', join(outdir, 'main.js'));
  return () => rmSync(outdir, { recursive: true, force: true });
}
