import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

/** The repository root: the CLI runs from there, as `npm start` does. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * `node <src/cli/main.ts bundled>`: the CLI from source, as a real child process. The bundle is made once per run
 * (test/setup/cli-bundle.ts), so a start does not compile the sources through tsx again; `npx runstate` through
 * tsx has its own test (help.process.test.ts).
 */
const nodeArgs = (args: readonly string[]): string[] => [
  // A command given a TypeScript module to load (`worker --tools tools.ts`) needs tsx registered, as bin/runstate.js
  // registers it in a checkout.
  ...(args.some((a) => /\.[cm]?ts$/.test(a)) ? ['--import', 'tsx'] : []),
  inject('cliEntry'),
];

/** The test process's environment without anything that would change what the CLI does. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    'OPENAI_API_KEY',
    'OPENAI_BASE_URL',
    'OPENAI_WEBHOOK_SECRET',
    'NO_COLOR',
    'FORCE_COLOR',
    'RUNSTATE_DEBUG',
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

/** How a CLI process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI process and what it printed so far. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first match of `pattern` in the stream's output, waiting for it as it comes. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  readonly exit: Promise<Exit>;
}

const running = new Set<ChildProcess>();

/** Kills (by pid) every CLI process still running: call it in `afterAll` (tests may run concurrently). */
export function killLeftovers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

function track(child: ChildProcess): CliProcess {
  running.add(child);
  const out = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  const notify = () => {
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out.stdout += chunk;
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    out.stderr += chunk;
    notify();
  });
  const exit = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      notify();
      resolve({ code, signal, ...out });
    });
  });
  return {
    child,
    get stdout() {
      return out.stdout;
    },
    get stderr() {
      return out.stderr;
    },
    exit,
    waitFor(stream, pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${pattern} on ${stream} within ${timeoutMs} ms; got:\n${out[stream]}`)),
          timeoutMs,
        );
        const check = () => {
          const match = out[stream].match(pattern);
          if (match) {
            clearTimeout(timer);
            resolve(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            reject(new Error(`exited before ${pattern} on ${stream}; got:\n${out[stream]}\n${out.stderr}`));
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** Starts `runstate <args>` with pipes for stdout and stderr (not a terminal). */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = cliEnv()): CliProcess {
  return track(
    spawn(process.execPath, [...nodeArgs(args), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** Runs `runstate <args>` to the end. */
export function runCli(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Exit> {
  return startCli(args, env).exit;
}

/**
 * Runs `runstate <args>` under a pseudo-terminal (util-linux `script`), so its stdout is a TTY. Everything the
 * terminal received, escape sequences included, is on `stdout`.
 */
export function runCliInTerminal(args: readonly string[], env: NodeJS.ProcessEnv = cliEnv()): Promise<Exit> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const commandLine = [process.execPath, ...nodeArgs(args), ...args].map(quote).join(' ');
  return track(
    spawn('script', ['-qfec', commandLine, '/dev/null'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ).exit;
}
