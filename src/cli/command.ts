import type { Writable } from 'node:stream';

/** A stream the CLI writes to: stdout or stderr, with what a terminal tells about itself. */
export type Output = Writable & { isTTY?: boolean; columns?: number; rows?: number };

/** Everything a command touches outside itself, so it reads the process in one place. */
export interface CliIo {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
}

/** One `runstate <name>` command. `run` resolves to the exit code; it throws `CliError` for a one-line failure. */
export interface Command {
  /** The full `runstate <name> --help` text. */
  help: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** A failure the user can act on: printed as one line (`runstate <command>: message`), never as a stack trace. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** A command line that cannot work: bad or missing flags. Exit code 2, with a pointer to `--help`. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
}
