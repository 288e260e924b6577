import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every ```ts block of README.md and docs/*.md, named by file and line. A block fenced ```ts nocheck is prose. */
function samples(): { name: string; code: string }[] {
  const files = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  return files.flatMap((file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const found: { name: string; code: string }[] = [];
    const fence = /^```(ts|typescript)([^\n]*)\n([\s\S]*?)^```/gm;
    for (let m = fence.exec(text); m; m = fence.exec(text)) {
      if (m[2]?.includes('nocheck')) continue;
      const line = text.slice(0, m.index).split('\n').length;
      found.push({ name: `${file}:${line}`, code: m[3]! });
    }
    return found;
  });
}

async function preludeSource(): Promise<string> {
  const main = Object.keys(await import('../../src/index.js'));
  const sim = Object.keys(await import('../../src/sim/index.js'));
  return [
    ...main.map((n) => `declare const ${n}: typeof import('runstate').${n};`),
    ...sim
      .filter((n) => !main.includes(n))
      .map((n) => `declare const ${n}: typeof import('runstate/sim').${n};`),
    `declare const client: import('openai').default;`,
    `declare const job: import('runstate').JobRef;`,
    `declare const sim: import('runstate/sim').Simulator;`,
    `declare const hub: import('runstate').WebhookHub;`,
    'declare const threadId: string, runId: string, assistantId: string, responseId: string, batchId: string;',
    'declare const rawBody: string, headers: Record<string, string>, secret: string;',
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
    // Each sample is its own module, importing `runstate` and `runstate/sim` as a user would. Fragments may use
    // the public names and the usual variables without declaring them: the prelude declares them, typed from the
    // real API, so a fragment still fails when the API it shows changes.
    const prelude = await preludeSource();
    const virtual = new Map(
      all.map((s, i) => [
        join(ROOT, `.doc-samples/sample-${i}.ts`),
        { ...s, code: `${s.code}\nexport {};\n` },
      ]),
    );
    virtual.set(join(ROOT, '.doc-samples/prelude.d.ts'), { name: 'prelude', code: prelude });
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      allowImportingTsExtensions: false,
      baseUrl: ROOT,
      paths: { runstate: ['src/index.ts'], 'runstate/sim': ['src/sim/index.ts'] },
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
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && virtual.has(d.file.fileName))
      .map((d) => {
        const sample = virtual.get(d.file!.fileName)!;
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${sample.name} (+${line}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  }, 60_000);
});
