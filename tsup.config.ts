import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'sim/index': 'src/sim/index.ts',
      'queue/index': 'src/queue/index.ts',
      // runstate/machine: the pure run machine alone (no RxJS, no OpenAI client), for XState users and tools.
      machine: 'machines/run.machine.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    external: ['openai', 'rxjs', 'xstate', 'bullmq'],
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
