/** One flag of `runstate watch` (`--fine-tune ID`): its name without the dashes, and what its value looks like. */
export interface CommandLineFlag {
  /** `fine-tune` for `--fine-tune`. */
  readonly name: string;
  /** What the help shows for its value: `ID`, `EVAL_ID/RUN_ID`. */
  readonly value: string;
}

/** A flag that tells more about a job its kind's flags name (a response's `--completion-window W`). */
export interface CommandLineOption extends CommandLineFlag {
  /** Its help, one line of text per line (the help indents them). */
  readonly help: readonly string[];
}

/** The values the command line gave, by flag name; absent for a flag it did not give. */
export type CommandLineValues = Readonly<Record<string, string | undefined>>;

/**
 * How `runstate watch` names a job of one kind: its flags, their help, and how their values become a ref. Part
 * of the kind's spec (`cli`), so the command line's table, its usage line and its help are derived from the
 * registry and a new kind adds its flags in its own folder.
 */
export interface KindCommandLine<Ref> {
  /** The flags that together name one job: one for most kinds, two for an Assistants run (`--thread ID --run ID`). */
  readonly flags: readonly CommandLineFlag[];
  /** The help of those flags, one line of text per line (the help indents them). */
  readonly help: readonly string[];
  /** Flags taken only beside this kind's own, which tell more about the job. */
  readonly options?: readonly CommandLineOption[];
  /** Whole command lines that `runstate watch --help` shows as examples. */
  readonly examples?: readonly string[];
  /** Listed after the other kinds in the help (a kind whose API OpenAI has shut down). */
  readonly listedLast?: boolean;
  /**
   * The ref the values name (called when at least one of `flags` was given), or what is wrong with them in one
   * line: `--eval-run takes EVAL_ID/RUN_ID (got "x")`.
   */
  toRef(values: CommandLineValues): Ref | string;
}

/** `A/B` as its two non-empty halves, or in words what `--flag` takes. */
export function idPair(value: string | undefined, flag: CommandLineFlag): [string, string] | string {
  const parts = (value ?? '').split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    return `--${flag.name} takes ${flag.value} (got ${JSON.stringify(value)})`;
  }
  return [parts[0], parts[1]];
}
