import { readFileSync } from 'node:fs';

/** The subset of JSON Schema the vendored OpenAPI extract keeps (see scripts/extract-openapi-schemas.mjs). */
export interface Schema {
  type?: string | string[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  $ref?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
}

/** The vendored extract: the spec's version and commit, and the schemas by name. */
export interface SchemaSet {
  source: string;
  version: string;
  commit: string;
  roots: string[];
  schemas: Record<string, Schema>;
}

/** Reads test/sim/fixtures/openapi-schemas.json. */
export function loadSchemas(): SchemaSet {
  return JSON.parse(readFileSync(new URL('./fixtures/openapi-schemas.json', import.meta.url), 'utf8'));
}

const typeOf = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : typeof value === 'number' && Number.isInteger(value)
        ? 'integer'
        : typeof value;

function typeMatches(type: string, value: unknown): boolean {
  const actual = typeOf(value);
  if (type === 'number') return actual === 'integer' || actual === 'number';
  return actual === type;
}

/**
 * Checks `value` against the schema `name`: required fields present, types, enums, nested objects and arrays,
 * `anyOf`/`oneOf` (one branch must pass), `allOf` (all must). Returns one line per violation, `path: problem`.
 */
export function violations(set: SchemaSet, name: string, value: unknown): string[] {
  return check(set, { $ref: `#/components/schemas/${name}` }, value, name, false);
}

/**
 * As {@link violations}, and also every property the schema declares must be present (null where the API has no
 * value): the real API sends its objects whole, with null keys, and clients (the Python SDK's models) read them.
 */
export function strictViolations(set: SchemaSet, name: string, value: unknown): string[] {
  return check(set, { $ref: `#/components/schemas/${name}` }, value, name, true);
}

function check(set: SchemaSet, schema: Schema, value: unknown, path: string, declared: boolean): string[] {
  if (schema.$ref) {
    const target = set.schemas[schema.$ref.replace('#/components/schemas/', '')];
    if (!target) return [`${path}: unknown schema ${schema.$ref}`];
    return check(set, target, value, path, declared);
  }
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (value === null && (schema.nullable || types.includes('null'))) return [];
  const errors: string[] = [];
  for (const part of schema.allOf ?? []) errors.push(...check(set, part, value, path, declared));
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const results = branches.map((b) => check(set, b, value, path, declared));
    if (!results.some((r) => r.length === 0)) {
      const closest = results.reduce((a, b) => (b.length < a.length ? b : a));
      errors.push(...closest.map((e) => `${e} (closest of ${branches.length} alternatives)`));
    }
  }
  if (types.length > 0 && !types.some((t) => typeMatches(t, value))) {
    return [...errors, `${path}: expected ${types.join(' | ')}, got ${typeOf(value)}`];
  }
  if (schema.enum && !schema.enum.includes(value)) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (schema.const !== undefined && value !== schema.const) {
    errors.push(`${path}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (object[key] === undefined) errors.push(`${path}.${key}: required, missing`);
    }
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      // An optional property may be null: the API sends null for optional values the spec types without null
      // (Batch.failed_at, OpenAIFile.expires_at, Response.user), and the SDKs type them so.
      if (object[key] === null && !(schema.required ?? []).includes(key)) continue;
      if (object[key] !== undefined) errors.push(...check(set, sub, object[key], `${path}.${key}`, declared));
      else if (declared && !(schema.required ?? []).includes(key) && !otherVariant(schema, object, key))
        errors.push(`${path}.${key}: declared, missing`);
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => {
      errors.push(...check(set, schema.items!, item, `${path}[${i}]`, declared));
    });
  }
  return errors;
}

/**
 * True for a property that holds another variant of an object keyed by its `type`: the spec writes a union such as
 * a fine-tune's `method` as `{ type: 'supervised' | 'dpo' | 'reinforcement', supervised?, dpo?, reinforcement? }`,
 * and the API sends only the variant `type` names (the spec's own job examples answer
 * `"method": { "type": "supervised", "supervised": {...} }`). That variant is still checked as declared.
 */
function otherVariant(schema: Schema, object: Record<string, unknown>, key: string): boolean {
  const variants = schema.properties?.type?.enum;
  return typeof object.type === 'string' && !!variants?.includes(key) && key !== object.type;
}
