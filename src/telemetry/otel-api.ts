import { createRequire } from 'node:module';

/** The OpenTelemetry API module, as runstate uses it. */
export type OtelApi = typeof import('@opentelemetry/api');

let loaded: OtelApi | null | undefined;

/**
 * `@opentelemetry/api` when the application has it installed, else undefined: it is an optional peer, so
 * runstate loads it on first use and never fails without it. Loaded synchronously, so the first watch of a
 * process is instrumented as well as the next; the API keeps its providers on `globalThis`, so this copy sees the
 * SDK the application registered through its own (ESM or CommonJS) copy.
 */
export function otelApi(): OtelApi | undefined {
  if (loaded === undefined) {
    try {
      // import.meta.url in both builds: tsup's shims give the CommonJS one a file URL (bundlers' `require` shims
      // throw in ESM, so a bare `require` is never used).
      loaded = createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/**
 * Hands runstate the API module to use: for a bundle (the CLI) that carries its own copy, which `require` from
 * runstate's files would not find.
 */
export function provideOtelApi(api: OtelApi): void {
  loaded = api;
}
