import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import tsupConfig from '../tsup.config.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  files: string[];
  exports: Record<string, string | Record<string, Record<string, string>>>;
};

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
});
