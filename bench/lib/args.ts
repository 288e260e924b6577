/** This benchmark's command-line arguments (after `npm run bench:x --`). */
export const args = process.argv.slice(2);

/** The number after `--name`, or `fallback` when the flag is not given. */
export function option(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** The text after `--name`, or undefined when the flag is not given. */
export function textOption(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}
