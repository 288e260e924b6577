#!/usr/bin/env node
/**
 * Fails, listing file:line, when a fact that belongs to one kind of job is written outside that kind's folders.
 *
 * Why: a kind is `src/kinds/<kind>/` and `src/sim/jobs/<kind>/` plus one line in each registry. A fact kept
 * elsewhere (a CLI flag in a table, a file purpose in a list, a schema name in a script) is a file the next kind
 * must edit by hand, and the extension point no longer holds. check-kind-literals catches a kind's name spelled
 * outside the kind folders; this check catches everything else a kind's folders declare, and also a kind's name
 * in another kind's folder.
 *
 * A kind's own words, read from its folders (a new folder extends the check by itself):
 * - its name: `kind: '<name>'` in `src/kinds/<kind>/spec.ts`;
 * - its command-line flags: each `name: '<flag>'` in `src/kinds/<kind>/cli.ts`, as `<flag>` and `--<flag>`;
 * - its SDK types: the names `src/kinds/<kind>/*.ts` import from the `openai` package (`FineTuningJob`);
 * - its OpenAPI schemas: `roots` and `schemas` of `src/sim/jobs/<kind>/openapi-roots.json`;
 * - its file purposes: the strings of `filePurposes: [...]` in `src/sim/jobs/<kind>/kind.ts`.
 *
 * Scanned: every `.ts` file under `src/` and `machines/` and every `.mjs`/`.ts` file under `scripts/`, except the
 * kind's own two folders and the registries (REGISTRIES below: the one line per registry a kind adds).
 * Flagged:
 * - a string (or the text of a template) whose whole text is one of a kind's words, or that contains one of its
 *   flags as `--<flag>` (help text, messages);
 * - one of a kind's SDK types imported from `openai` (`import type { FineTuningJob } from 'openai/…'`) or named
 *   through the SDK's namespace (`OpenAI.FineTuning.Jobs.FineTuningJob`).
 * Not flagged: comments and TSDoc; identifiers that only share a name with an SDK type (the Web API's `Response`);
 * a string that spells a kind's name but means something else, marked `// not a kind: <what it is>` on its line
 * or the line above (as in check-kind-literals). The other facts have no such mark: a file purpose a kind declares
 * is that kind's fact wherever it is spelled.
 *
 * Usage: node scripts/check-kind-footprint.mjs [root] (default: the repository this script is in).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The registries, where each kind has its line: the kinds' map, the simulator's map, and the public entry of
 * `runstate/results`, whose explicit re-exports of each kind's result readers are its registry line (a subpath's
 * names are listed one by one, never `export *`, so the public API stays on one screen).
 */
const REGISTRIES = ['src/kinds/registry.ts', 'src/sim/jobs/kinds.ts', 'src/results/index.ts'];
const OPT_OUT = /\/\/\s*not a kind:/;
const SELF = 'scripts/check-kind-footprint.mjs';

const posix = (path) => relative(root, path).split(sep).join('/');

function files(dir, extensions) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path, extensions));
    else if (extensions.some((ext) => name.endsWith(ext))) out.push(path);
  }
  return out;
}

const parse = (path) =>
  ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);

const isString = (node) => ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node);
const isTemplateText = (node) =>
  ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node);

function walk(node, visit) {
  visit(node);
  ts.forEachChild(node, (child) => walk(child, visit));
}

/** The string values of `<key>: '…'` and `<key>: ['…', …]` properties in a file. */
function propertyStrings(path, key) {
  if (!existsSync(path)) return [];
  const source = parse(path);
  const out = [];
  walk(source, (node) => {
    if (!ts.isPropertyAssignment(node) || node.name.getText(source) !== key) return;
    const value = node.initializer;
    if (isString(value)) out.push(value.text);
    else if (ts.isArrayLiteralExpression(value))
      out.push(...value.elements.filter(isString).map((e) => e.text));
  });
  return out;
}

/** Names a file imports from the `openai` package (named imports only: `import OpenAI` is everyone's). */
function sdkImports(source) {
  const out = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !isString(statement.moduleSpecifier)) continue;
    if (!/^openai(\/|$)/.test(statement.moduleSpecifier.text)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements)
        out.push({ name: (element.propertyName ?? element.name).text, node: element });
    }
  }
  return out;
}

/** Every kind folder and the words that belong to it. */
function kinds() {
  const kindsDir = join(root, 'src', 'kinds');
  const out = [];
  for (const folder of readdirSync(kindsDir)) {
    const dir = join(kindsDir, folder);
    if (!statSync(dir).isDirectory() || !existsSync(join(dir, 'spec.ts'))) continue;
    const simDir = join(root, 'src', 'sim', 'jobs', folder);
    const words = new Map(); // word → what it is (the first fact that names it)
    const add = (word, what) => {
      if (!words.has(word)) words.set(word, what);
    };
    for (const name of propertyStrings(join(dir, 'spec.ts'), 'kind')) add(name, 'its name');
    const flags = propertyStrings(join(dir, 'cli.ts'), 'name');
    // A flag as the command line spells it: `run` alone is a word any code may use, `--run` is the flag.
    for (const flag of flags) add(`--${flag}`, 'its command-line flag');
    for (const purpose of propertyStrings(join(simDir, 'kind.ts'), 'filePurposes')) {
      add(purpose, 'its file purpose');
    }
    const rootsPath = join(simDir, 'openapi-roots.json');
    if (existsSync(rootsPath)) {
      const declared = JSON.parse(readFileSync(rootsPath, 'utf8'));
      for (const name of [...(declared.roots ?? []), ...Object.keys(declared.schemas ?? {})]) {
        add(name, 'its OpenAPI schema');
      }
    }
    const sdkTypes = new Set(
      files(dir, ['.ts']).flatMap((path) => sdkImports(parse(path)).map((i) => i.name)),
    );
    for (const name of sdkTypes) add(name, 'its SDK type');
    out.push({
      folder,
      name: [...words].find(([, what]) => what === 'its name')?.[0] ?? folder,
      own: [`src/kinds/${folder}/`, `src/sim/jobs/${folder}/`],
      words,
      flags,
      sdkTypes,
    });
  }
  return out;
}

const KINDS = kinds();
if (KINDS.length === 0) {
  console.error('check-kind-footprint: found no kind in src/kinds/*/spec.ts: is the layout changed?');
  process.exit(2);
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const flagPatterns = KINDS.flatMap((kind) =>
  kind.flags.map((flag) => ({
    kind,
    flag,
    pattern: new RegExp(`(^|[^\\w-])--${escapeRegExp(flag)}(?![\\w-])`),
  })),
);

/**
 * Facts of the kinds before issue 18 that shared code still holds, each with why. The check tolerates these
 * (file, kind) pairs and fails when one is no longer needed, so the list only shrinks. A new kind adds none.
 */
const KNOWN = [
  {
    file: 'src/batches/results.ts',
    kind: 'batch',
    why: "batchResults: a batch's result reader, older than results beside their kind",
  },
  {
    file: 'src/model/types.ts',
    kind: 'batch',
    why: "a snapshot's progress is typed as a batch's BatchProgress",
  },
  {
    file: 'src/polling/index.ts',
    kind: 'response',
    why: 'runstate/polling re-exports the completion-window defaults',
  },
  {
    file: 'src/tools/approvals.ts',
    kind: 'agent-session',
    why: "the approval tools answer an agent session's requests",
  },
  { file: 'src/sources/stream.ts', kind: 'response', why: "stream() reads a response's stream events" },
  {
    file: 'src/sources/stream-response.ts',
    kind: 'response',
    why: 'the stream source accumulates a response',
  },
  {
    file: 'src/sources/accumulated-response.ts',
    kind: 'response',
    why: 'the stream source accumulates a response',
  },
  {
    file: 'src/watch/replay-run.ts',
    kind: 'response',
    why: 'replayRun types its recorded objects by SDK type',
  },
  { file: 'src/watch/replay-run.ts', kind: 'batch', why: 'replayRun types its recorded objects by SDK type' },
  {
    file: 'src/watch/replay-run.ts',
    kind: 'assistants-run',
    why: 'replayRun types its recorded objects by SDK type',
  },
  { file: 'src/kinds/index.ts', kind: 'assistants-run', why: 'an index of the first three specs, for tests' },
  { file: 'src/kinds/index.ts', kind: 'batch', why: 'an index of the first three specs, for tests' },
  { file: 'src/kinds/index.ts', kind: 'response', why: 'an index of the first three specs, for tests' },
  { file: 'src/cli/main.ts', kind: 'response', why: 'the top-level help shows one watch example' },
  {
    file: 'src/cli/sim/sim.ts',
    kind: 'response',
    why: 'runstate sim prints how to create a response and watch it',
  },
];

const kindFolders = KINDS.flatMap((kind) => kind.own);
const problems = [];
const tolerated = new Set();
const scanned = [
  ...files(join(root, 'src'), ['.ts']),
  ...files(join(root, 'machines'), ['.ts']),
  ...files(join(root, 'scripts'), ['.mjs', '.ts']),
];
for (const path of scanned) {
  const rel = posix(path);
  // Shared code only: what a kind's folders say about themselves (or each other) is theirs. This script names
  // older kinds' folders in KNOWN.
  if (REGISTRIES.includes(rel) || rel === SELF || kindFolders.some((own) => rel.startsWith(own))) continue;
  const source = parse(path);
  const lines = source.text.split('\n');
  const report = (node, kind, message, what) => {
    const known = KNOWN.find((entry) => entry.file === rel && entry.kind === kind.folder);
    if (known) {
      tolerated.add(known);
      return;
    }
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
    const optedOut = OPT_OUT.test(lines[line] ?? '') || OPT_OUT.test(lines[line - 1] ?? '');
    if (optedOut && what === 'its name') return;
    problems.push(
      `${rel}:${line + 1}: ${message} of ${kind.name}: keep it in src/kinds/${kind.folder}/ or src/sim/jobs/${kind.folder}/ and read it from the registry`,
    );
  };
  walk(source, (node) => {
    if (isString(node) || isTemplateText(node)) {
      const text = node.text;
      for (const kind of KINDS) {
        const what = kind.words.get(text);
        if (what) report(node, kind, `${JSON.stringify(text)} is ${what}`, what);
      }
      for (const { kind, flag, pattern } of flagPatterns) {
        if (kind.words.get(text) === undefined && pattern.test(text)) {
          report(node, kind, `"--${flag}" is its command-line flag`);
        }
      }
    } else if (ts.isQualifiedName(node) || ts.isPropertyAccessExpression(node)) {
      // `OpenAI.FineTuning.Jobs.FineTuningJob`: the SDK's namespace names a kind's type.
      if (ts.isQualifiedName(node.parent) || ts.isPropertyAccessExpression(node.parent)) return;
      if (node.getText(source).split('.')[0] !== 'OpenAI') return;
      const last = ts.isQualifiedName(node) ? node.right.text : node.name.text;
      for (const kind of KINDS) if (kind.sdkTypes.has(last)) report(node, kind, `"${last}" is its SDK type`);
    } else if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      isString(node.moduleSpecifier) &&
      node.moduleSpecifier.text.startsWith('.')
    ) {
      // An import from a kind's folder: the registries' lines are the only ones.
      const target = posix(join(dirname(path), node.moduleSpecifier.text));
      for (const kind of KINDS) {
        if (kind.own.some((own) => target.startsWith(own))) {
          report(node, kind, `an import from ${node.moduleSpecifier.text} is its code`);
        }
      }
    }
  });
  for (const { name, node } of sdkImports(source)) {
    for (const kind of KINDS) if (kind.sdkTypes.has(name)) report(node, kind, `"${name}" is its SDK type`);
  }
}

for (const entry of KNOWN) {
  if (!tolerated.has(entry) && existsSync(join(root, entry.file))) {
    problems.push(
      `scripts/check-kind-footprint.mjs: KNOWN lists ${entry.file} for ${entry.kind}, which no longer needs it: remove the entry`,
    );
  }
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(
    `\n${problems.length} place(s) outside a kind's folders and the registries hold one of its facts (see the rule in scripts/check-kind-footprint.mjs).`,
  );
  process.exit(1);
}
console.log(
  `check-kind-footprint: ${scanned.length} files, each kind's facts only in its folders and the registries (${KINDS.map((k) => `${k.name}: ${k.words.size}`).join(', ')}; ${KNOWN.length} older facts known)`,
);
