import { fileURLToPath } from 'node:url';

/**
 * Bundles a benchmark entry the way the package is built (esbuild, as tsup does: ESM, node20, no `keepNames`),
 * with openai, rxjs and xstate left external, into node_modules/.cache; returns the file to run with plain
 * `node`. Running through tsx instead would measure its transpilation too: tsx keeps function names with an
 * `Object.defineProperty` per closure created, which adds CPU to every request and bytes to every watch.
 */
export async function bundle(entry: URL): Promise<string> {
  const { build } = await import('esbuild');
  const source = fileURLToPath(entry);
  const name = source.split('/').at(-1)!.replace(/\.ts$/, '.mjs');
  const outfile = fileURLToPath(new URL(`../../node_modules/.cache/runstate-bench/${name}`, import.meta.url));
  await build({
    entryPoints: [source],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // The OpenTelemetry packages stay modules of their own: runstate loads the API with require, the SDK requires it too.
    // BullMQ and ioredis too (the queue's worker), as a user's install loads them.
    external: ['openai', 'rxjs', 'xstate', '@opentelemetry/*', 'bullmq', 'ioredis'],
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
