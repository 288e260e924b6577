import { badRequest, missingParam } from './errors.js';

/** Reads a required non-empty string field, or throws OpenAI's 400. */
export function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (value === undefined || value === null || value === '') throw missingParam(key);
  if (typeof value !== 'string') throw invalidType(key, 'a string', value);
  return value;
}

/** Reads an optional string field. */
export function optionalString(body: Record<string, unknown>, key: string): string | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalidType(key, 'a string', value);
  return value;
}

/** Reads an optional boolean field. */
export function optionalBoolean(body: Record<string, unknown>, key: string): boolean | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw invalidType(key, 'a boolean', value);
  return value;
}

/** Reads an optional array field. */
export function optionalArray(body: Record<string, unknown>, key: string): unknown[] | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw invalidType(key, 'an array', value);
  return value;
}

/** Validates `metadata` like OpenAI does: at most 16 string values, keys ≤ 64 and values ≤ 512 characters. */
export function optionalMetadata(body: Record<string, unknown>): Record<string, string> | null {
  const value = body.metadata;
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidType('metadata', 'an object', value);
  const entries = Object.entries(value);
  if (entries.length > 16) {
    throw badRequest(
      `Invalid 'metadata': too many properties. Expected at most 16, got ${entries.length}.`,
      'metadata',
    );
  }
  for (const [key, v] of entries) {
    if (key.length > 64)
      throw badRequest(`Invalid 'metadata': key '${key.slice(0, 20)}…' is longer than 64.`, 'metadata');
    if (typeof v !== 'string') throw invalidType(`metadata.${key}`, 'a string', v);
    if (v.length > 512) {
      throw badRequest(
        `Invalid 'metadata.${key}': string too long. Expected a string with maximum length 512, but got a string with length ${v.length} instead.`,
        `metadata.${key}`,
        'string_above_max_length',
      );
    }
  }
  return value as Record<string, string>;
}

function invalidType(key: string, expected: string, got: unknown) {
  const kind = Array.isArray(got) ? 'an array' : got === null ? 'null' : `a ${typeof got}`;
  return badRequest(
    `Invalid type for '${key}': expected ${expected}, but got ${kind} instead.`,
    key,
    'invalid_type',
  );
}
