#!/usr/bin/env node
/**
 * Extracts, from OpenAI's OpenAPI spec (github.com/openai/openai-openapi, `openapi.json`), the schemas of every
 * object the simulator returns and the schemas they reference, keeping only what a structural check needs
 * (type, required, properties, items, enum, $ref, anyOf/oneOf/allOf, nullable). The result is vendored as
 * test/sim/fixtures/openapi-schemas.json and read by test/sim/conformance.sim.test.ts.
 *
 *   node scripts/extract-openapi-schemas.mjs path/to/openapi.json <commit> > test/sim/fixtures/openapi-schemas.json
 *
 * The spec is also published as YAML (openapi.yaml); convert it to JSON first, e.g.
 *   python3 -c 'import json,sys,yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout, default=str)' openapi.yaml
 * The roots are collected from the kinds: each simulator kind folder names the schemas its answers and webhook
 * payloads are checked against in `src/sim/jobs/<kind>/openapi-roots.json` (`roots`, and `schemas` the spec lacks,
 * copied by hand, such as a batch result line's `BatchRequestOutput`), so a new kind adds its roots in its own
 * folder. The roots no kind owns (errors, files) are listed here. The roots of issue 18 (fine-tunes, evals, vector
 * stores and their webhooks) were added from a 2.3.0 openapi.yaml snapshot; every schema already in the fixture
 * came out identical.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [, , specPath, commit = 'unknown'] = process.argv;
if (!specPath) {
  console.error('usage: node scripts/extract-openapi-schemas.mjs path/to/openapi.json <commit>');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
const all = spec.components.schemas;

/** The roots the simulator answers with whatever the kind: errors and files. */
const SHARED_ROOTS = ['ErrorResponse', 'ListFilesResponse', 'OpenAIFile'];

/** Each kind's `openapi-roots.json`, from the simulator's kind folders. */
const jobsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'sim', 'jobs');
const kindRoots = readdirSync(jobsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) => {
    try {
      return [JSON.parse(readFileSync(join(jobsDir, entry.name, 'openapi-roots.json'), 'utf8'))];
    } catch (error) {
      if (error.code === 'ENOENT') return []; // a kind with no answer in the spec (an agent session)
      throw error;
    }
  });

/** The schemas the simulator's answers and webhook payloads are checked against, sorted. */
const ROOTS = [...new Set([...SHARED_ROOTS, ...kindRoots.flatMap((kind) => kind.roots ?? [])])].sort();

const KEEP = [
  'type',
  'required',
  'properties',
  'items',
  'enum',
  'const',
  '$ref',
  'anyOf',
  'oneOf',
  'allOf',
  'nullable',
];

function strip(node) {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const key of KEEP) {
    if (!(key in node)) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, strip(v)]));
    } else out[key] = strip(node[key]);
  }
  return out;
}

const schemas = {};
const queue = [...ROOTS];
while (queue.length > 0) {
  const name = queue.shift();
  if (schemas[name]) continue;
  if (!all[name]) throw new Error(`no schema ${name} in the spec`);
  schemas[name] = strip(all[name]);
  JSON.stringify(schemas[name], (key, value) => {
    if (key === '$ref' && typeof value === 'string') queue.push(value.replace('#/components/schemas/', ''));
    return value;
  });
}

// Schemas the spec lacks, copied by hand into a kind's folder.
for (const kind of kindRoots) Object.assign(schemas, kind.schemas);

const sorted = Object.fromEntries(
  Object.keys(schemas)
    .sort()
    .map((k) => [k, schemas[k]]),
);
process.stdout.write(
  `${JSON.stringify({ source: 'github.com/openai/openai-openapi openapi.json', version: spec.info.version, commit, roots: ROOTS, schemas: sorted })}\n`,
);
