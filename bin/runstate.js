#!/usr/bin/env node
// The `runstate` command. An installed package runs its build (dist/, made by `prepack`). A checkout runs the
// TypeScript sources through tsx, a devDependency, so that `npx runstate` works right after `npm install`, with no
// build step and never a stale build.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);

async function load() {
  if (existsSync(source)) {
    try {
      const { register } = await import('tsx/esm/api');
      register();
      return await import(source.href);
    } catch (error) {
      // No tsx (a checkout installed without devDependencies): the build, if there is one, still works.
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !existsSync(built)) throw error;
    }
  }
  if (!existsSync(built)) {
    process.stderr.write('runstate: no build in dist/ and no sources to run: run `npm run build`\n');
    process.exit(1);
  }
  return import(built.href);
}

const { main } = await load();
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
