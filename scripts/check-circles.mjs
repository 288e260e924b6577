// `npm test` runs this: it fails when the modules under src/ and machines/ import each other in a circle. Type-only
// imports count too: a type in the wrong module is how every circle we had started (issue 17), and a circle of types
// today becomes a circle of values the day someone imports a constant along the same edge. Dynamic `import()` counts
// as well, since lazy loading hides an edge without removing it.
//
// TypeScript's own scanner (`preProcessFile`) lists each file's imports, so this needs no dependency beyond the
// compiler the project already uses. Usage: node scripts/check-circles.mjs [dir ...]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['src', 'machines'];

/** Every .ts/.tsx/.mts file under `dir`, declarations excluded. */
function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(m?ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The file a relative specifier names, under the project's `Bundler` resolution (`./x.js` is `./x.ts`). */
function resolveSpecifier(from, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(m?js|jsx)$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, join(base, 'index.ts')];
  return candidates.find((path) => existsSync(path) && statSync(path).isFile());
}

const files = dirs.flatMap((dir) => sources(resolve(root, dir)));
const known = new Set(files);
/** @type {Map<string, string[]>} */
const graph = new Map();
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const targets = importedFiles
    .map(({ fileName }) => resolveSpecifier(file, fileName))
    .filter((target) => target !== undefined && known.has(target));
  graph.set(file, [...new Set(targets)]);
}

// Tarjan's strongly connected components: each component of more than one file (or a file importing itself) holds
// at least one circle.
let index = 0;
const indices = new Map();
const lowlinks = new Map();
const stack = [];
const onStack = new Set();
const components = [];
function connect(file) {
  indices.set(file, index);
  lowlinks.set(file, index);
  index++;
  stack.push(file);
  onStack.add(file);
  for (const next of graph.get(file)) {
    if (!indices.has(next)) {
      connect(next);
      lowlinks.set(file, Math.min(lowlinks.get(file), lowlinks.get(next)));
    } else if (onStack.has(next)) {
      lowlinks.set(file, Math.min(lowlinks.get(file), indices.get(next)));
    }
  }
  if (lowlinks.get(file) === indices.get(file)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file).includes(file)) components.push(component);
  }
}
for (const file of files) if (!indices.has(file)) connect(file);

/** One shortest circle through `start` inside its component, for a message a reader can act on. */
function circleThrough(start, members) {
  const inside = new Set(members);
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const next of graph.get(file)) {
      if (next === start) {
        const path = [file];
        for (let at = previous.get(file); at !== undefined; at = previous.get(at)) path.unshift(at);
        return [...path, start];
      }
      if (inside.has(next) && !previous.has(next)) {
        previous.set(next, file);
        queue.push(next);
      }
    }
  }
  return [start];
}

const show = (file) => relative(root, file);
if (components.length === 0) {
  console.log(`check-circles: no import circle among ${files.length} modules in ${dirs.join(', ')}`);
} else {
  for (const component of components) {
    const sorted = component.sort();
    console.error(
      `import circle (${sorted.length} modules): ${circleThrough(sorted[0], sorted).map(show).join(' → ')}`,
    );
  }
  console.error(
    `check-circles: ${components.length} circle(s); move the shared type or value into a module both sides import`,
  );
  process.exitCode = 1;
}
