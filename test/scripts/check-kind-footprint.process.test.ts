import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '../../scripts/check-kind-footprint.mjs');
let root: string | undefined;

/** One kind, `widget`, whose folders declare each kind of fact the check reads. */
const WIDGET = {
  'src/kinds/widget/spec.ts': [
    "import type { Widget } from 'openai/resources/widgets';",
    "import { widgetCli } from './cli.js';",
    "export const widget = { kind: 'widget', cli: widgetCli, status: (job: Widget) => job.status };",
  ].join('\n'),
  'src/kinds/widget/cli.ts':
    "export const widgetCli = { flags: [{ name: 'widget-job', value: 'ID' }], help: ['a widget'] };\n",
  'src/sim/jobs/widget/kind.ts':
    "export const widgetSim = { kind: 'widget', filePurposes: ['widget-input'] };\n",
  'src/sim/jobs/widget/openapi-roots.json': JSON.stringify({ roots: ['WidgetObject'] }),
  'src/kinds/registry.ts': "import { widget } from './widget/spec.js';\nexport const KINDS = { widget };\n",
  'src/sim/jobs/kinds.ts':
    "import { widgetSim } from './widget/kind.js';\nexport const SIM_KINDS = { widget: widgetSim };\n",
};

/** A tree with the widget kind and the given files; returns the check's exit code and output. */
function check(files: Record<string, string>) {
  root = mkdtempSync(join(tmpdir(), 'kind-footprint-'));
  for (const [path, text] of Object.entries({ ...WIDGET, ...files })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const run = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { code: run.status, out: run.stdout + run.stderr };
}

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe('scripts/check-kind-footprint.mjs', () => {
  it("fails on each of a kind's facts written in shared code, listing file:line", () => {
    const { code, out } = check({
      'src/cli/table.ts': [
        "export const options = { 'widget-job': { type: 'string' } };",
        "export const usage = 'runstate watch --widget-job ID';",
      ].join('\n'),
      'src/sim/files.ts': "export const PURPOSES = ['vision', 'widget-input'];\n",
      'scripts/extract.mjs': "const ROOTS = ['ErrorResponse', 'WidgetObject'];\n",
      'src/a.ts': [
        "import type { Widget } from 'openai/resources/widgets';",
        "import type OpenAI from 'openai';",
        'export type W = OpenAI.Widgets.Widget | Widget;',
      ].join('\n'),
      'src/b.ts': "export { widget } from './kinds/widget/spec.js';\n",
      'src/c.ts': "// not a kind: a purpose\nexport const purpose = 'widget-input';\n",
    });
    expect(code).toBe(1);
    expect(out).toContain('src/cli/table.ts:2: "--widget-job" is its command-line flag of widget');
    expect(out).toContain('src/sim/files.ts:1: "widget-input" is its file purpose of widget');
    expect(out).toContain('scripts/extract.mjs:1: "WidgetObject" is its OpenAPI schema of widget');
    expect(out).toContain('src/a.ts:1: "Widget" is its SDK type of widget');
    expect(out).toContain('src/a.ts:3: "Widget" is its SDK type of widget');
    expect(out).toContain('src/b.ts:1: an import from ./kinds/widget/spec.js is its code of widget');
    // The mark that lets a string spell a kind's name does not hide another of its facts.
    expect(out).toContain('src/c.ts:2: "widget-input" is its file purpose of widget');
  });

  it("passes a kind's own folders, the registries, comments, plain words and marked names", () => {
    const { code, out } = check({
      'src/cli/table.ts': [
        '/** The kinds bring their flags (`--widget-job ID`). */',
        "export const words = ['run', 'widget-job', 'ErrorResponse'];",
        'export const web = (r: Response) => r.status;',
        '// not a kind: a label',
        "export const label = 'widget';",
      ].join('\n'),
      'src/results/index.ts': "export { widget } from '../kinds/widget/spec.js';\n",
    });
    expect(out).toContain('check-kind-footprint:');
    expect(out).toContain('widget: 5');
    expect(code).toBe(0);
  });
});
