import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '../../scripts/check-kind-literals.mjs');
let root: string | undefined;

/** A tree with one kind (`widget`) and the given files; returns the check's exit code and output. */
function check(files: Record<string, string>) {
  root = mkdtempSync(join(tmpdir(), 'kind-literals-'));
  const all = { 'src/kinds/widget/spec.ts': "export const widget = { kind: 'widget' };\n", ...files };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  mkdirSync(join(root, 'machines'), { recursive: true });
  const run = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { code: run.status, out: run.stdout + run.stderr };
}

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe('scripts/check-kind-literals.mjs', () => {
  it('fails on a kind named in code or in a type, listing file:line', () => {
    const { code, out } = check({
      'src/a.ts': "const x = 1;\nexport const isWidget = (k: string) => k === 'widget';\n",
      'src/b.ts': "export type W = { kind: 'widget' };\n",
      // The CLI's argument table reads each kind's flags from its spec: it names no kind either.
      'src/cli/job-args.ts': "export const ref = { kind: 'widget', id: 'w' };\n",
    });
    expect(code).toBe(1);
    expect(out).toContain("src/a.ts:2: 'widget' names a kind");
    expect(out).toContain("src/b.ts:1: 'widget' names a kind");
    expect(out).toContain("src/cli/job-args.ts:1: 'widget' names a kind");
  });

  it('passes comments, longer strings, `in` tests, the allowed folders and marked strings', () => {
    const { code, out } = check({
      'src/a.ts': [
        "/** @example watch({ kind: 'widget', id }) */",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the scanned file's code holds a template literal
        "export const label = (id: string) => `widget ${id}` + 'widget.done';",
        "export const has = (o: object) => 'widget' in o;",
        '// not a kind: a file purpose that happens to spell one',
        "export const purpose = 'widget';",
      ].join('\n'),
      'src/sim/jobs/widget/kind.ts': "export const kind = 'widget';\n",
    });
    expect(out).toContain('no kind named outside its spec (widget)');
    expect(code).toBe(0);
  });
});
