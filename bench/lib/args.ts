/** This benchmark's command-line arguments (after `npm run bench:x --`). */
export const args = process.argv.slice(2);

/** The number after `--name`, or `fallback` when the flag is not given. */
export function option(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}
