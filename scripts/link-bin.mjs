// `prepare` (run by `npm install` and `npm ci` in a checkout): npm links the bins of dependencies into
// node_modules/.bin, never the project's own, so `npx runstate` in a fresh clone found nothing (exit 127). This links
// it, to bin/runstate.js, which runs the sources through tsx when there is no build.
import { chmodSync, existsSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'bin', 'runstate.js');
const bins = join(root, 'node_modules', '.bin');
const link = join(bins, 'runstate');

// Nothing to do outside a checkout with its dependencies installed, or where symlinks need privileges (Windows).
if (existsSync(join(root, 'node_modules')) && process.platform !== 'win32') {
  mkdirSync(bins, { recursive: true });
  try {
    if (lstatSync(link)) unlinkSync(link);
  } catch {
    // no link yet
  }
  symlinkSync(relative(bins, target), link);
  chmodSync(target, 0o755);
}
