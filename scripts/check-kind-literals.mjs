#!/usr/bin/env node
/**
 * Fails, listing file:line, when a source file names a kind of job where only the kind specs may.
 *
 * Why: a kind's spec (`src/kinds/<kind>/`) is the one place that knows a kind; the rest of the code asks the spec.
 * A name compared or spelled out elsewhere is a place a new kind would have to be added by hand, found only by a
 * failing test. This check finds those places before they are written.
 *
 * The rule:
 * - The kinds are the names the specs give themselves: every `kind: '<name>'` in `src/kinds/<folder>/spec.ts`.
 *   A new kind folder extends the check by itself.
 * - Scanned: every `.ts` file under `src/` and `machines/`, except `src/kinds/` (the specs, each with its command
 *   line: `--response ID` → a ref) and `src/sim/jobs/` (the simulator's own kinds).
 * - Flagged: a string literal, in code or in a type, whose whole text is a kind's name (`'batch'`,
 *   `'assistants.run'`, a key `'assistants.run': …` too).
 * - Not flagged: comments and TSDoc (`@example` lines may show refs); strings that only contain a name
 *   (`` `response ${id}` ``, `'response.completed'`); the left side of `in` (`'response' in event` tests a
 *   property of an object, not a kind).
 * - A string that spells a kind's name but means something else (a file's `purpose: 'batch'`) carries a comment
 *   `// not a kind: <what it is>` on its line or the line above.
 *
 * Usage: node scripts/check-kind-literals.mjs [root] (default: the repository this script is in).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const ALLOWED = ['src/kinds/', 'src/sim/jobs/'];
const OPT_OUT = /\/\/\s*not a kind:/;

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const parse = (path) =>
  ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);

const isString = (node) => ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node);

function walk(node, visit) {
  visit(node);
  ts.forEachChild(node, (child) => walk(child, visit));
}

/** The kinds, as their specs name themselves. */
function kindNames() {
  const names = new Set();
  const kindsDir = join(root, 'src', 'kinds');
  for (const folder of readdirSync(kindsDir)) {
    const spec = join(kindsDir, folder, 'spec.ts');
    if (!statSync(join(kindsDir, folder)).isDirectory()) continue;
    let source;
    try {
      source = parse(spec);
    } catch {
      continue;
    }
    walk(source, (node) => {
      if (
        ts.isPropertyAssignment(node) &&
        node.name.getText(source) === 'kind' &&
        isString(node.initializer)
      ) {
        names.add(node.initializer.text);
      }
    });
  }
  return names;
}

const kinds = kindNames();
if (kinds.size === 0) {
  console.error(
    'check-kind-literals: found no kind in src/kinds/*/spec.ts (`kind: ...`): is the layout changed?',
  );
  process.exit(2);
}

const problems = [];
const scanned = [...files(join(root, 'src')), ...files(join(root, 'machines'))];
for (const path of scanned) {
  const rel = relative(root, path).split(sep).join('/');
  if (ALLOWED.some((allowed) => rel.startsWith(allowed))) continue;
  const source = parse(path);
  const lines = source.text.split('\n');
  walk(source, (node) => {
    if (!isString(node) || !kinds.has(node.text)) return;
    const parent = node.parent;
    if (
      ts.isBinaryExpression(parent) &&
      parent.left === node &&
      parent.operatorToken.kind === ts.SyntaxKind.InKeyword
    ) {
      return;
    }
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
    if (OPT_OUT.test(lines[line] ?? '') || OPT_OUT.test(lines[line - 1] ?? '')) return;
    problems.push(
      `${rel}:${line + 1}: ${node.getText(source)} names a kind: ask its spec (src/kinds/) instead`,
    );
  });
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(
    `\n${problems.length} place(s) outside src/kinds/ and src/sim/jobs/ name a kind (see the rule in scripts/check-kind-literals.mjs).`,
  );
  process.exit(1);
}
console.log(
  `check-kind-literals: ${scanned.length} files, no kind named outside its spec (${[...kinds].join(', ')})`,
);
