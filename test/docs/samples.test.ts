import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT, docSamples as samples } from '../helpers/doc-samples.js';

/** Type-only exports leave no runtime key: their names are read from the public entry points. */
function typeNames(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const single = [...text.matchAll(/\btype (\w+)/g)].map((m) => m[1]!);
  const blocks = [...text.matchAll(/export type \{([^}]*)\}/g)].flatMap((m) => m[1]!.match(/\w+/g) ?? []);
  return [...new Set([...single, ...blocks])];
}

/** The entries a fragment sees names from, the root first: a name two entries export is taken from the first. */
const ENTRIES = [
  { module: 'runstate', file: 'src/index.ts' },
  { module: 'runstate/polling', file: 'src/polling/index.ts' },
  { module: 'runstate/webhooks', file: 'src/webhooks/index.ts' },
  { module: 'runstate/machine', file: 'src/machine/index.ts' },
  { module: 'runstate/sim', file: 'src/sim/index.ts' },
  { module: 'runstate/results', file: 'src/results/index.ts' },
];

/** A fragment (a block with no import of its own) gets the public types imported, generics intact. */
function withTypeImports(code: string): string {
  if (/^import /m.test(code)) return code;
  const seen = new Set<string>();
  const imports = ENTRIES.map(({ module, file }) => {
    const names = typeNames(file).filter((n) => !seen.has(n));
    for (const n of names) seen.add(n);
    return `import type { ${names.join(', ')} } from '${module}';`;
  });
  return [...imports, code].join('\n');
}

/**
 * Globals a fragment may use without declaring: every public value (typed from the real API, so a fragment still
 * fails when what it shows changes), RxJS, and the usual variables of the docs.
 */
async function preludeSource(): Promise<string> {
  const seen = new Set<string>();
  const declared: string[] = [];
  for (const { module, file } of [...ENTRIES, { module: 'rxjs', file: '' }]) {
    const values = Object.keys(await import(file ? join(ROOT, file) : module)).filter((n) => !seen.has(n));
    for (const n of values) {
      seen.add(n);
      declared.push(`declare const ${n}: typeof import('${module}').${n};`);
    }
  }
  return [
    ...declared,
    `declare const client: import('openai').default;`,
    `declare const job: import('runstate').JobRef;`,
    `declare const jobs: import('runstate').JobRef[];`,
    `declare const sim: import('runstate/sim').Simulator;`,
    `declare const hub: import('runstate').WebhookHub;`,
    'declare const threadId: string, runId: string, assistantId: string, responseId: string, batchId: string;',
    'declare const rawBody: string, headers: Record<string, string>, secret: string;',
    'declare const inputs: string[];',
    'declare const id: string;',
    `declare function render(progress: import('runstate').RunProgress): void;`,
    'declare function reply(job: unknown): void;',
    `declare const express: typeof import('express').default;`,
    `declare const Hono: typeof import('hono').Hono;`,
    `declare const Redis: typeof import('ioredis').default;`,
  ].join('\n');
}

describe('code samples in README.md and docs/', () => {
  const all = samples();

  it('there are samples to check', () => {
    expect(all.length).toBeGreaterThan(5);
  });

  it('every sample compiles against the current API', async () => {
    // Each sample is its own module, importing `runstate` and `runstate/sim` as a user would.
    const virtual = new Map(
      all.map((s, i) => [
        join(ROOT, `.doc-samples/sample-${i}.ts`),
        { ...s, code: `${withTypeImports(s.code)}\nexport {};\n` },
      ]),
    );
    virtual.set(join(ROOT, '.doc-samples/prelude.d.ts'), { name: 'prelude', code: await preludeSource() });
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      baseUrl: ROOT,
      paths: {
        runstate: ['src/index.ts'],
        'runstate/sim': ['src/sim/index.ts'],
        'runstate/queue': ['src/queue/index.ts'],
        'runstate/machine': ['src/machine/index.ts'],
        'runstate/polling': ['src/polling/index.ts'],
        'runstate/webhooks': ['src/webhooks/index.ts'],
        'runstate/results': ['src/results/index.ts'],
        'runstate/telemetry': ['src/telemetry/index.ts'],
        'runstate/http': ['src/http/index.ts'],
        'runstate/client': ['src/client/index.ts'],
        'runstate/dashboard': ['src/dashboard/index.ts'],
        'runstate/kinds': ['src/kinds/public.ts'],
      },
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.readFile = (f) => virtual.get(f)?.code ?? readFile(f);
    host.fileExists = (f) => virtual.has(f) || fileExists(f);
    host.getSourceFile = (f, lang, onError, create) => {
      const sample = virtual.get(f);
      return sample ? ts.createSourceFile(f, sample.code, lang) : getSourceFile(f, lang, onError, create);
    };
    const program = ts.createProgram([...virtual.keys()], options, host);
    // The samples' own diagnostics only: the checker still reads every declaration they reach, but does not check
    // the bodies of src/ (npm run typecheck does), which is most of the work.
    const problems = [...virtual.keys()]
      .map((f) => program.getSourceFile(f)!)
      .flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)])
      .filter((d) => d.file && virtual.has(d.file.fileName))
      .map((d) => {
        const sample = virtual.get(d.file!.fileName)!;
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${sample.name} (+${line}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  }, 60_000);
});
