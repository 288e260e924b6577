import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'sim/index': 'src/sim/index.ts',
      'queue/index': 'src/queue/index.ts',
      // runstate/machine: the pure run machine and its types (no RxJS, no OpenAI client), for XState users and tools.
      'machine/index': 'src/machine/index.ts',
      'polling/index': 'src/polling/index.ts',
      // runstate/results: what ended jobs made (an eval run's graded items, a fine-tune's model and metrics).
      'results/index': 'src/results/index.ts',
      'webhooks/index': 'src/webhooks/index.ts',
      'telemetry/index': 'src/telemetry/index.ts',
      'http/index': 'src/http/index.ts',
      'dashboard/index': 'src/dashboard/index.ts',
      // runstate/client runs in browsers: the pack smoke test bundles it for one and fails on any Node import.
      'client/index': 'src/client/index.ts',
      // runstate/kinds: defineKind, for kinds of job runstate does not ship.
      'kinds/index': 'src/kinds/public.ts',
    },
    format: ['esm', 'cjs'],
    // Entries share chunks in CommonJS too (tsup splits only ESM by default): without it each .cjs entry holds its
    // own copy of the modules it uses, and `require('runstate').runMachine !== require('runstate/machine').runMachine`.
    splitting: true,
    // import.meta.url in the CommonJS build (src/telemetry/otel-api.ts loads the optional @opentelemetry/api with it).
    shims: true,
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    external: ['openai', 'rxjs', 'xstate', 'bullmq', '@opentelemetry/api'],
  },
  {
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    // `runstate demo --inspect` loads the Stately inspector only when asked, from the user's own install.
    external: ['openai', 'rxjs', 'xstate', 'bullmq', '@statelyai/inspect'],
  },
]);
