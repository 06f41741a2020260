/**
 * The `framewire` command: picks the subcommand, re-runs itself under Bun or
 * Deno for `--runtime`, and turns every user error into one line and an
 * exit code (2 for usage errors).
 *
 * @module
 */
import { parseConnectConfig, runConnect } from './connect/connect-command.js';
import { CliError } from './cli-error.js';
import { parseHubConfig } from './hub/hub-config.js';
import { parseRelayConfig, runRelay } from './relay-commands.js';
import { currentRuntime, type RuntimeName } from './runtime/current-runtime.js';
import { reexec } from './runtime/reexec.js';
import { parseServeConfig } from './serve/serve-config.js';
import { runServe } from './serve/serve-command.js';
import { USAGE } from './usage.js';

/**
 * Run the CLI with `args` (without the executable and script); resolves with
 * the process exit code. `entry` is the script to re-run for `--runtime`.
 */
export async function main(args: readonly string[], entry: string): Promise<number> {
  const [command = '', ...rest] = args;
  try {
    if (command === '' || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${USAGE['']}\n`);
      return command === '' ? 2 : 0;
    }
    if (command === '--version' || command === '-v') {
      process.stdout.write('framewire 0.1.0\n');
      return 0;
    }
    const config = parseFor(command, rest);
    if (config.help) {
      process.stdout.write(`${USAGE[command] ?? USAGE['']}\n`);
      return 0;
    }
    const runtime = config.runtime;
    if (runtime !== undefined && runtime !== currentRuntime()) {
      if (runtime === 'node') throw new CliError(`--runtime node: run the framewire bin with node instead of ${currentRuntime()}`);
      return await reexec(runtime, entry, args);
    }
    return await config.run();
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`framewire ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`framewire: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

interface Parsed {
  readonly help: boolean;
  readonly runtime: RuntimeName | undefined;
  run(): Promise<number>;
}

function parseFor(command: string, args: readonly string[]): Parsed {
  switch (command) {
    case 'serve': {
      const config = parseServeConfig(args);
      return { help: config.help, runtime: config.runtime, run: () => runServe(config) };
    }
    case 'connect': {
      const config = parseConnectConfig(args);
      return { help: config.help, runtime: config.runtime, run: () => runConnect(config) };
    }
    case 'echo':
    case 'broadcast': {
      const config = parseRelayConfig(command, args);
      return { help: config.help, runtime: config.runtime, run: () => runRelay(config) };
    }
    case 'hub': {
      // The hub serves HTTP routes beside its upgrades, which the CLI's hosts do on Node only.
      const config = parseHubConfig(args);
      // Loaded only for `hub`: its brokers (Redis, NATS clients) would make every other command's
      // process bigger, and a bigger process forks slower (serve spawns a program per connection).
      return { help: config.help, runtime: undefined, run: async () => (await import('./hub/hub-command.js')).runHub(config) };
    }
    default:
      throw new CliError(`: unknown command ${JSON.stringify(command)} (serve, connect, echo, broadcast, hub; --help)`);
  }
}
