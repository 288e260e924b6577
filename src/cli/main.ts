import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError, type CliIo, type Command, UsageError } from './command.js';

/** The commands, loaded on use: `runstate --help` or a typo should not pay for loading the SDK and the simulator. */
const COMMANDS: readonly { name: string; summary: string; load(): Promise<Command> }[] = [
  {
    name: 'demo',
    summary: 'watch a dozen simulated jobs through poll, webhook and hybrid sources, then compare them',
    load: async () => (await import('./demo/demo.js')).demoCommand,
  },
  {
    name: 'watch',
    summary: 'watch one real job of any kind until it ends; exit 0 only if it completed',
    load: async () => (await import('./watch/watch.js')).watchCommand,
  },
  {
    name: 'sim',
    summary: 'run the OpenAI-compatible simulator standalone (scenarios, faults, webhooks)',
    load: async () => (await import('./sim/sim.js')).simCommand,
  },
  {
    name: 'listen',
    summary: 'a local webhook endpoint that verifies and prints each delivery, and why it refused one',
    load: async () => (await import('./listen/listen.js')).listenCommand,
  },
  {
    name: 'worker',
    summary: 'advance durable watches from Redis (runstate/queue); run as many as you like',
    load: async () => (await import('./worker/worker.js')).workerCommand,
  },
  {
    name: 'queue',
    summary: 'show the durable watches of a queue by state, live',
    load: async () => (await import('./queue/queue.js')).queueCommand,
  },
  {
    name: 'dashboard',
    summary: 'a live page of the durable watches of a queue, on 127.0.0.1',
    load: async () => (await import('./dashboard/dashboard.js')).dashboardCommand,
  },
];

const help = `runstate: watch asynchronous OpenAI jobs (responses, batches, fine-tunes, evals and more) until they end.

Usage: runstate <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)}${c.summary}`).join('\n')}

Run 'runstate <command> --help' for a command's options and examples, 'runstate --version' for the version.

Examples:
  runstate demo
  OPENAI_API_KEY=sk-... runstate watch --response resp_123
  runstate sim --port 4010 --speed 10
  runstate listen --port 4242 --secret whsec_...
  runstate worker --redis redis://127.0.0.1:6379 --rpm 500
  runstate queue --redis redis://127.0.0.1:6379
  runstate dashboard --redis redis://127.0.0.1:6379 --port 4000`;

/** The package's version: package.json sits two levels up from both src/cli/main.ts and dist/cli/main.js. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Runs one command line (without `node` and the script) and resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${help}\n`);
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(
      `runstate: unknown command ${JSON.stringify(name)}: try ${COMMANDS.map((c) => c.name).join(', ')} (runstate --help)\n`,
    );
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      const hint = error instanceof UsageError ? ` (see runstate ${entry.name} --help)` : '';
      io.stderr.write(`runstate ${entry.name}: ${error.message}${hint}\n`);
      return error.exitCode;
    }
    // A bug, not a user error: still one line, with the stack only on request.
    const detail = io.env.RUNSTATE_DEBUG
      ? `\n${(error as Error)?.stack ?? ''}`
      : ' (set RUNSTATE_DEBUG=1 for the stack)';
    io.stderr.write(
      `runstate ${entry.name}: unexpected error: ${(error as Error)?.message ?? String(error)}${detail}\n`,
    );
    return 1;
  }
}

/** How long a finished command's process may wait on what is still pending (a read in flight) before it ends. */
const EXIT_GRACE_MS = 2000;

// Run when started as a program (the package bin, `tsx src/cli/main.ts`), not when imported. The bin is reached
// through a symlink (node_modules/.bin/runstate), hence the realpath.
const invokedAs = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invokedAs === fileURLToPath(import.meta.url)) {
  const code = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
  process.exitCode = code;
  // The command is done, but a read it left in flight keeps the process until the server answers: a poll's reads
  // are dropped, not aborted, when a watch stops (docs/polling.md, "Stopping"), and one the server never answers
  // holds the process up to the client's timeout. Let stdout drain, then end.
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}
