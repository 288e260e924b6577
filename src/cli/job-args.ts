import type { CommandLineFlag, CommandLineValues, KindCommandLine } from '../kinds/command-line.js';
import { JOB_KINDS, kindSpec } from '../kinds/registry.js';
import type { JobRef } from '../model/types.js';
import { UsageError } from './command.js';

/**
 * The CLI's argument table, read from the kinds: each kind's spec says which flags name one of its jobs
 * (`cli`, a `KindCommandLine` in its folder), so a new kind brings its flags, help and examples with it and no
 * file here changes. In the help's order: a kind `listedLast` after the others, the rest as the registry has them.
 */
const COMMAND_LINES: readonly KindCommandLine<{ readonly kind: string }>[] = JOB_KINDS.flatMap((kind) => {
  const cli = kindSpec(kind).cli;
  return cli ? [cli] : [];
}).sort((a, b) => Number(a.listedLast ?? false) - Number(b.listedLast ?? false));

/** The `parseArgs` options of every kind's flags and options: all take a string. */
export const JOB_ARG_OPTIONS: Readonly<Record<string, { readonly type: 'string' }>> = Object.fromEntries(
  COMMAND_LINES.flatMap((cli) => [...cli.flags, ...(cli.options ?? [])]).map((flag) => [
    flag.name,
    { type: 'string' } as const,
  ]),
);

/** The values `parseArgs` read: those of {@link JOB_ARG_OPTIONS} and the command's own. */
export type JobArgValues = Readonly<Record<string, string | boolean | undefined>>;

const term = (flags: readonly CommandLineFlag[]): string =>
  flags.map((flag) => `--${flag.name} ${flag.value}`).join(' ');

/** The ways to name a job, as a usage line lists them: `--response ID | --batch ID | … | --thread ID --run ID`. */
export const JOB_ARG_CHOICES: readonly string[] = COMMAND_LINES.map((cli) => term(cli.flags));

// Help lines are hand-wrapped in each kind's folder; a term that fits the column shares its first line.
const HELP_COLUMN = 22;
const helpEntry = (flags: readonly CommandLineFlag[], lines: readonly string[]): string[] => {
  const name = term(flags);
  const indent = ' '.repeat(HELP_COLUMN + 2);
  if (name.length < HELP_COLUMN) {
    return [`  ${name.padEnd(HELP_COLUMN)}${lines[0] ?? ''}`, ...lines.slice(1).map((l) => indent + l)];
  }
  return [`  ${name}`, ...lines.map((line) => indent + line)];
};

/** The help's lines for every kind's flags, each kind's options after its flags. */
export const JOB_ARG_HELP: readonly string[] = COMMAND_LINES.flatMap((cli) => [
  ...helpEntry(cli.flags, cli.help),
  ...(cli.options ?? []).flatMap((option) => helpEntry([option], option.help)),
]);

/** Every kind's example command lines, in the help's order. */
export const JOB_ARG_EXAMPLES: readonly string[] = COMMAND_LINES.flatMap((cli) => cli.examples ?? []);

const given = (values: CommandLineValues, flags: readonly CommandLineFlag[]): boolean =>
  flags.some((flag) => values[flag.name] !== undefined && values[flag.name] !== '');

/**
 * The job the command line names: the one kind whose flags were given, its ref made by its spec's `cli`.
 * @throws UsageError for no job, more than one, an option without its kind's flags, or values the kind refuses
 *   (a run without both ids, a pair without its slash, a window that is not one).
 */
export function jobRefFromArgs(parsed: JobArgValues): JobRef {
  // The kinds see their own flags only, each a string.
  const values: CommandLineValues = Object.fromEntries(
    Object.keys(JOB_ARG_OPTIONS).flatMap((name) => {
      const value = parsed[name];
      return typeof value === 'string' ? [[name, value]] : [];
    }),
  );
  const named = COMMAND_LINES.filter((cli) => given(values, cli.flags));
  const [chosen, ...others] = named;
  if (!chosen) {
    const choices = JOB_ARG_CHOICES.join(', ').replace(/, ([^,]*)$/, ' or $1');
    throw new UsageError(`say which job: ${choices}`);
  }
  if (others.length > 0) {
    const names = named.map((cli) => cli.flags.map((flag) => `--${flag.name}`).join('/'));
    throw new UsageError(`one job at a time: got ${names.join(' and ')}`);
  }
  for (const cli of COMMAND_LINES) {
    if (cli === chosen) continue;
    const stray = (cli.options ?? []).find((option) => values[option.name] !== undefined);
    if (stray) {
      const owners = cli.flags.map((flag) => `--${flag.name}`).join(' ');
      throw new UsageError(`--${stray.name} goes with ${owners}`);
    }
  }
  const ref = chosen.toRef(values);
  if (typeof ref === 'string') throw new UsageError(ref);
  // Each spec's `cli` is typed with its own ref; the list above holds them erased.
  return ref as JobRef;
}
