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
 * The roots of issue 18 (fine-tunes, evals, vector stores and their webhooks) were added from a 2.3.0 openapi.yaml
 * snapshot; every schema already in the fixture came out identical.
 *
 * The spec at 2.3.0's newest commit has no schema for a batch result line; `BatchRequestOutput` below is copied
 * from the same version's YAML at commit 498c71ddf6f1c45b983f972ccabca795da211a3e.
 */
import { readFileSync } from 'node:fs';

const [, , specPath, commit = 'unknown'] = process.argv;
if (!specPath) {
  console.error('usage: node scripts/extract-openapi-schemas.mjs path/to/openapi.json <commit>');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
const all = spec.components.schemas;

/** The schemas the simulator's answers and webhook payloads are checked against. */
const ROOTS = [
  'AssistantObject',
  'Batch',
  'ErrorResponse',
  'Eval',
  'EvalRun',
  'EvalRunList',
  'EvalRunOutputItem',
  'EvalRunOutputItemList',
  'FineTuningJob',
  'ListFineTuningJobCheckpointsResponse',
  'ListFineTuningJobEventsResponse',
  'ListPaginatedFineTuningJobsResponse',
  'ListVectorStoreFilesResponse',
  'VectorStoreFileBatchObject',
  'VectorStoreObject',
  'ListBatchesResponse',
  'ListFilesResponse',
  'ListMessagesResponse',
  'ListRunStepsResponse',
  'ListRunsResponse',
  'MessageObject',
  'OpenAIFile',
  'Response',
  'RunObject',
  'RunStepObject',
  'ThreadObject',
  'WebhookBatchCancelled',
  'WebhookBatchCompleted',
  'WebhookBatchExpired',
  'WebhookBatchFailed',
  'WebhookEvalRunCanceled',
  'WebhookEvalRunFailed',
  'WebhookEvalRunSucceeded',
  'WebhookFineTuningJobCancelled',
  'WebhookFineTuningJobFailed',
  'WebhookFineTuningJobSucceeded',
  'WebhookResponseCancelled',
  'WebhookResponseCompleted',
  'WebhookResponseFailed',
  'WebhookResponseIncomplete',
];

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

schemas.BatchRequestOutput = {
  type: 'object',
  required: ['id', 'custom_id', 'response', 'error'],
  properties: {
    id: { type: 'string' },
    custom_id: { type: 'string' },
    response: {
      type: 'object',
      nullable: true,
      required: ['status_code', 'request_id', 'body'],
      properties: {
        status_code: { type: 'integer' },
        request_id: { type: 'string' },
        body: { type: 'object' },
      },
    },
    error: {
      type: 'object',
      nullable: true,
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
};

const sorted = Object.fromEntries(
  Object.keys(schemas)
    .sort()
    .map((k) => [k, schemas[k]]),
);
process.stdout.write(
  `${JSON.stringify({ source: 'github.com/openai/openai-openapi openapi.json', version: spec.info.version, commit, roots: ROOTS, schemas: sorted })}\n`,
);
