#!/usr/bin/env bash
# The package as a user gets it: `npm pack` (prepack builds dist/), installed into a fresh project from the local
# npm cache, a consumer compiled with tsc under moduleResolution node16 and node10, run against the simulator
# (ESM and CommonJS), and `npx runstate --version`. Run by .ci/run after `npm test`; `npm run test:pack` by hand.
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
  "$work/$tarball" "openai@$(version openai)" "rxjs@$(version rxjs)" "xstate@$(version xstate)" >/dev/null

cat > src/consumer.ts <<'TS'
import OpenAI from 'openai';
import type { Batch } from 'openai/resources/batches';
import type { Response } from 'openai/resources/responses/responses';
import { type RunSnapshot, type StandardSchemaV1, tool, waitForRun, watchRun } from 'runstate';
import { runMachine } from 'runstate/machine';
import { startSimulator } from 'runstate/sim';

// Types follow the job's kind, as they do in the repository's own type tests.
export function typed(client: OpenAI): Promise<Batch> {
  watchRun({ client, job: { kind: 'response', id: 'resp_1' } }).subscribe((s: RunSnapshot<Response>) => s.job?.id);
  const text: StandardSchemaV1<unknown, string> = {
    '~standard': { version: 1, vendor: 'x', validate: (value) => ({ value: String(value) }) },
  };
  tool(text, (s) => s.toUpperCase());
  return waitForRun({ client, job: { kind: 'batch', id: 'batch_1' } });
}

export async function run(): Promise<string> {
  const sim = await startSimulator({ clock: { speed: 50 } });
  try {
    const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim' });
    const r = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true });
    const done = await waitForRun({ client, job: { kind: 'response', id: r.id } });
    return `${done.status} ${typeof runMachine.transition}`;
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
[ "$esm" = "completed function" ] || { echo "pack smoke: ESM consumer printed '$esm'" >&2; exit 1; }
[ "$cjs" = "completed function" ] || { echo "pack smoke: CommonJS consumer printed '$cjs'" >&2; exit 1; }

expected=$(node -p "require('$root/package.json').version")
got=$(npx --offline runstate --version)
[ "$got" = "$expected" ] || { echo "pack smoke: npx runstate --version printed '$got', not $expected" >&2; exit 1; }
npx --offline runstate --help | grep -q '^Usage: runstate <command>'

echo "pack smoke: $tarball installed, compiled (node16, node10), run (ESM, CJS), runstate $got ($(($(date +%s) - started)) s)"
