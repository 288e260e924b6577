#!/usr/bin/env bash
# The package as a user gets it: `npm pack` (prepack builds dist/), installed into a fresh project from the local
# npm cache, a consumer compiled with tsc under moduleResolution node16 and node10, run against the simulator
# (ESM and CommonJS), every subpath imported and sharing one copy of what two entries export, and
# `npx runstate --version`. Run by .ci/run after `npm test`; `npm run test:pack` by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

# No build beforehand: `prepack` must make one, or the tarball ships no dist/.
rm -rf dist
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
echo "pack smoke: packed $tarball ($(($(date +%s) - started)) s)"
listing=$(tar -tzf "$work/$tarball")
for file in package/dist/index.js package/dist/index.cjs package/dist/sim/index.d.ts package/dist/cli/main.js \
  package/bin/runstate.js; do
  grep -qx "$file" <<<"$listing" || { echo "pack smoke: $tarball lacks $file" >&2; exit 1; }
done
# The sources stay out: the installed command must run the build, not need tsx.
! grep -q '^package/src/' <<<"$listing" || { echo "pack smoke: $tarball ships src/" >&2; exit 1; }
# The peers at the versions this checkout uses, which its own install put in the npm cache. A plain install, as a
# user makes it: no --legacy-peer-deps, so a peer range that refuses this openai major fails here (ERESOLVE).
version() { node -p "require('$root/node_modules/$1/package.json').version"; }
consumer=$work/consumer
mkdir -p "$consumer/src"
cd "$consumer"
printf '{ "name": "consumer", "private": true, "type": "module" }\n' > package.json
npm install --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error \
  "$work/$tarball" "openai@$(version openai)" "rxjs@$(version rxjs)" "xstate@$(version xstate)" \
  "bullmq@$(version bullmq)" >/dev/null

cat > src/consumer.ts <<'TS'
import OpenAI from 'openai';
import type { Batch } from 'openai/resources/batches';
import type { Response } from 'openai/resources/responses/responses';
import * as root from 'runstate';
import { type RunSnapshot, tool, waitForRun, watchRun } from 'runstate';
import { defineKind } from 'runstate/kinds';
import { runMachine, type StatusEvent } from 'runstate/machine';
import { DEFAULT_POLL_SCHEDULES, type PollSchedule, scheduleDelay } from 'runstate/polling';
import { watchJobId } from 'runstate/queue';
import { parseMetricsCsv } from 'runstate/results';
import { startSimulator } from 'runstate/sim';
import { INSTRUMENTATION_SCOPE, type Logger } from 'runstate/telemetry';
import { createWebhookHub, type IdempotencyStore, memoryIdempotencyStore } from 'runstate/webhooks';

// Types follow the job's kind, as they do in the repository's own type tests.
export function typed(client: OpenAI): Promise<Batch> {
  watchRun({ client, job: { kind: 'response', id: 'resp_1' } }).subscribe((s: RunSnapshot<Response>) => s.job?.id);
  const text = {
    '~standard': {
      version: 1 as const,
      vendor: 'x',
      validate: (value: unknown) => ({ value: String(value) }),
      types: { input: undefined as unknown, output: '' },
    },
  };
  tool(text, (s) => s.toUpperCase());
  return waitForRun({ client, job: { kind: 'batch', id: 'batch_1' } });
}

let defined: { ref(ids: { id: string }): { kind: string } } | undefined;

// Every subpath loads, and an entry re-exporting another's module hands out the very same object: the CommonJS
// build once held a second runMachine in runstate/machine.
export function entries(): string {
  const response: PollSchedule = DEFAULT_POLL_SCHEDULES.response;
  const store: IdempotencyStore = memoryIdempotencyStore();
  const event: StatusEvent['type'] = 'status';
  const logger: Logger = console;
  const loaded = [
    scheduleDelay(response, 0, 0, () => 0.5) > 0 && parseMetricsCsv('step\n1')[0]?.step === 1,
    typeof store.claim,
    event,
    typeof watchJobId,
    typeof logger.warn === 'function' && INSTRUMENTATION_SCOPE.name,
  ];
  // runstate/kinds: a defined kind makes typed refs (defined once per process: run() may call this again).
  const exportJob = defined ?? (defined = defineKind({
    kind: 'consumer.export',
    ids: ['id'],
    retrieve: async (ref) => ({ id: ref.id, state: 'done' }),
    status: (job: { state: string }) => job.state,
    states: { done: 'completed' },
  }));
  const shared = root.runMachine === runMachine && root.createWebhookHub === createWebhookHub;
  return `${loaded.join(' ')} ${exportJob.ref({ id: 'x1' }).kind} ${shared ? 'shared' : 'duplicated'}`;
}

export async function run(): Promise<string> {
  const sim = await startSimulator({ clock: { speed: 50 } });
  try {
    const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim' });
    const r = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true });
    const done = await waitForRun({ client, job: { kind: 'response', id: r.id } });
    return `${done.status} ${typeof runMachine.transition} ${entries()}`;
  } finally {
    await sim.close();
  }
}
TS
printf "import { run } from './consumer.js';\nconsole.log(await run());\n" > src/main.ts

tsc="$root/node_modules/.bin/tsc"
common=(--strict --skipLibCheck --target ES2022 --lib ES2022,DOM --rootDir src)
"$tsc" "${common[@]}" --module node16 --moduleResolution node16 --outDir out/esm src/consumer.ts src/main.ts
"$tsc" "${common[@]}" --module commonjs --moduleResolution node10 --esModuleInterop --outDir out/cjs src/consumer.ts
echo '{ "type": "commonjs" }' > out/cjs/package.json

esm=$(node out/esm/main.js)
cjs=$(node -e "require('./out/cjs/consumer.js').run().then((s) => console.log(s))")
printed='completed function true function status function runstate consumer.export shared'
[ "$esm" = "$printed" ] || { echo "pack smoke: ESM consumer printed '$esm', not '$printed'" >&2; exit 1; }
[ "$cjs" = "$printed" ] || { echo "pack smoke: CommonJS consumer printed '$cjs', not '$printed'" >&2; exit 1; }

# runstate/client is for browsers: bundled for one, any Node built-in it imported would fail to resolve here.
printf "import { followRun, snapshotEventId } from 'runstate/client';\nexport const follow = [followRun, snapshotEventId];\n" > src/browser.ts
"$root/node_modules/.bin/esbuild" src/browser.ts --bundle --platform=browser --format=esm --log-level=error \
  --outfile=out/browser.js || { echo "pack smoke: runstate/client does not bundle for the browser" >&2; exit 1; }
node --input-type=module -e "const h = await import('runstate/http'); if (typeof h.toEventStream !== 'function') process.exit(1)"

expected=$(node -p "require('$root/package.json').version")
got=$(npx --offline runstate --version)
[ "$got" = "$expected" ] || { echo "pack smoke: npx runstate --version printed '$got', not $expected" >&2; exit 1; }
npx --offline runstate --help | grep -q '^Usage: runstate <command>'

echo "pack smoke: $tarball installed, compiled (node16, node10), run (ESM, CJS), every entry shared, the client bundled for browsers, runstate $got ($(($(date +%s) - started)) s)"
