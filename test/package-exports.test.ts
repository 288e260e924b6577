import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import tsupConfig from '../tsup.config.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  files: string[];
  exports: Record<string, string | Record<string, Record<string, string>>>;
  typesVersions: Record<string, Record<string, string[]>>;
};

const ENTRIES = ['src/index.ts', 'src/polling/index.ts', 'src/webhooks/index.ts'];
let program: ts.Program | undefined;

/** The names an entry exports, values and types apart, as the compiler resolves them (re-exports followed). */
function exportedNames(entry: string): { values: string[]; types: string[] } {
  const path = (e: string) => fileURLToPath(new URL(`../${e}`, import.meta.url));
  // One program for every entry: they share most of their modules, and building it is the slow part.
  program ??= ts.createProgram(ENTRIES.map(path), {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(path(entry))!)!;
  const values: string[] = [];
  const types: string[] = [];
  for (const symbol of checker.getExportsOfModule(module)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    (target.flags & ts.SymbolFlags.Value ? values : types).push(symbol.name);
  }
  return { values, types };
}

/** Every entry tsup builds, by output name (`machine`, `sim/index`), with the formats it emits. */
function builtEntries(): Map<string, string[]> {
  const configs = Array.isArray(tsupConfig) ? tsupConfig : [tsupConfig];
  const built = new Map<string, string[]>();
  for (const config of configs as { entry: Record<string, string>; format: string[]; dts?: boolean }[]) {
    for (const name of Object.keys(config.entry)) {
      const files = config.format.flatMap((f) => (f === 'esm' ? [`${name}.js`] : [`${name}.cjs`]));
      if (config.dts) files.push(`${name}.d.ts`, ...(config.format.includes('cjs') ? [`${name}.d.cts`] : []));
      built.set(name, files);
    }
  }
  return built;
}

describe('package.json exports', () => {
  it('point only at files the build makes: every subpath (runstate/machine included) is built, with types', () => {
    const made = new Set([...builtEntries().values()].flat().map((f) => `./dist/${f}`));
    const targets = Object.entries(pkg.exports)
      .filter(([subpath]) => subpath !== './package.json')
      .flatMap(([, conditions]) =>
        Object.values(conditions as Record<string, Record<string, string>>).flatMap((c) => Object.values(c)),
      );
    expect(targets.length).toBeGreaterThan(8);
    for (const target of targets) expect(made, target).toContain(target);
    expect(Object.keys(pkg.exports)).toContain('./machine');
  });

  it('ship no TypeScript sources that nothing can import', () => {
    expect(pkg.files).not.toContain('machines');
    expect(pkg.files).not.toContain('src');
  });

  it('give every subpath its types to node10 resolution (typesVersions) too', () => {
    const subpaths = Object.keys(pkg.exports)
      .filter((subpath) => subpath !== '.' && subpath !== './package.json')
      .map((subpath) => subpath.slice(2));
    expect(subpaths).toEqual(expect.arrayContaining(['machine', 'polling', 'webhooks', 'queue', 'sim']));
    expect(Object.keys(pkg.typesVersions['*']!).sort()).toEqual([...subpaths].sort());
  });
});

describe('the root export', () => {
  // The root is what a user calls, on one screen; tuning math and plumbing live in subpaths. Each name added here
  // is a name every user reads: move one out before adding one past the limit.
  it('holds at most 60 names, values and types together', { timeout: 30_000 }, () => {
    const { values, types } = exportedNames('src/index.ts');
    expect(values.length + types.length, [...values, ...types].join(' ')).toBeLessThanOrEqual(60);
    expect(values).toEqual(
      expect.arrayContaining(['watchRun', 'waitForRun', 'poll', 'webhookSource', 'hybrid']),
    );
    expect(values).toEqual(expect.arrayContaining(['createWebhookHub', 'runMachine']));
  });

  it('leaves the tuning math to runstate/polling and the webhook plumbing to runstate/webhooks', {
    timeout: 30_000,
  }, () => {
    const root = exportedNames('src/index.ts').values;
    const polling = exportedNames('src/polling/index.ts').values;
    const webhooks = exportedNames('src/webhooks/index.ts').values;
    for (const name of ['planPolls', 'nextPollAt', 'nextDelay', 'scheduleDelay', 'DEFAULT_POLL_SCHEDULES']) {
      expect(polling).toContain(name);
      expect(root).not.toContain(name);
    }
    for (const name of ['createWebhookVerifier', 'memoryIdempotencyStore', 'redisIdempotencyStore']) {
      expect(webhooks).toContain(name);
      expect(root).not.toContain(name);
    }
  });
});
