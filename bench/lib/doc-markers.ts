import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Replaces the body of one `## <heading>` section of a Markdown file with `body`, between
 * `<!-- <marker>:start -->` / `<!-- <marker>:end -->` comments (re-runs replace only what is between them; the
 * first run replaces the placeholder body of the section). Returns false, and writes nothing, when the file or
 * the section does not exist yet (another benchmark owns the file and creates it).
 */
export function writeDocSection(file: string, heading: string, marker: string, body: string): boolean {
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from >= 0 && to > from) {
    writeFileSync(file, text.slice(0, from) + block + text.slice(to + end.length));
    return true;
  }
  const lines = text.split('\n');
  const at = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (at < 0) return false;
  let next = lines.findIndex((line, i) => i > at && /^#{1,2} /.test(line));
  if (next < 0) next = lines.length;
  const rebuilt = [...lines.slice(0, at + 1), '', block, '', ...lines.slice(next)];
  writeFileSync(file, rebuilt.join('\n'));
  return true;
}
