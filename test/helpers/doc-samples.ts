import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's root, where README.md and docs/ live. */
export const ROOT = join(import.meta.dirname, '..', '..');

/** One TypeScript sample of the docs, named `file:line` after where its fence opens. */
export interface DocSample {
  name: string;
  code: string;
}

/** Every ```ts block of README.md and docs/*.md, named by file and line. A block fenced ```ts nocheck is prose. */
export function docSamples(): DocSample[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs].flatMap((file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const found: DocSample[] = [];
    const fence = /^```(ts|typescript)([^\n]*)\n([\s\S]*?)^```/gm;
    for (let m = fence.exec(text); m; m = fence.exec(text)) {
      if (m[2]?.includes('nocheck')) continue;
      const line = text.slice(0, m.index).split('\n').length;
      found.push({ name: `${file}:${line}`, code: m[3]! });
    }
    return found;
  });
}
