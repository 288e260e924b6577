import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SIM_KIND_SPECS } from '../../src/sim/jobs/kinds.js';
import { loadSchemas, type Schema } from './openapi-check.js';

const jobsDir = new URL('../../src/sim/jobs/', import.meta.url);
const folders = readdirSync(jobsDir, { withFileTypes: true }).filter((entry) => entry.isDirectory());

/** Each simulator kind folder's `openapi-roots.json`, by folder (absent for a kind the spec has no answer of). */
const declared = folders.flatMap((folder) => {
  const path = new URL(`${folder.name}/openapi-roots.json`, jobsDir);
  if (!existsSync(path)) return [];
  const doc = JSON.parse(readFileSync(path, 'utf8')) as {
    roots: string[];
    schemas?: Record<string, Schema>;
  };
  return [{ folder: folder.name, ...doc }];
});

describe("the kinds' OpenAPI roots and the vendored extract", () => {
  const fixture = loadSchemas();

  it('has every root a kind declares, and each schema a kind copied by hand as it is', () => {
    // One folder per simulator kind; the three of issue 18 and the three before them name their roots.
    expect(folders).toHaveLength(SIM_KIND_SPECS.length);
    expect(declared.length).toBeGreaterThanOrEqual(6);
    for (const kind of declared) {
      expect(kind.roots.length, kind.folder).toBeGreaterThan(0);
      for (const root of kind.roots) {
        expect(fixture.roots, `${kind.folder}: ${root}`).toContain(root);
        expect(fixture.schemas[root], `${kind.folder}: ${root}`).toBeDefined();
      }
      for (const [name, schema] of Object.entries(kind.schemas ?? {})) {
        expect(fixture.schemas[name], `${kind.folder}: ${name}`).toEqual(schema);
      }
    }
  });

  it('has no root that neither a kind nor the simulator as a whole (errors, files) names', () => {
    const shared = ['ErrorResponse', 'ListFilesResponse', 'OpenAIFile'];
    const named = new Set([...shared, ...declared.flatMap((kind) => kind.roots)]);
    expect([...fixture.roots].sort()).toEqual([...named].sort());
  });
});
