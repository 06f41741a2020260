/**
 * `--runtime bun|deno`: run the same entry again under that runtime, with
 * the same arguments, and pass its exit code on. The repository's
 * `node_modules` binaries are used when present (the real Deno binary, not
 * the npm wrapper, which forwards no signal), else `bun`/`deno` on PATH.
 * SIGINT/SIGTERM are forwarded, so stopping the parent stops the child.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import type { RuntimeName } from './current-runtime.js';

/** The executable and leading arguments that run `entry` on `runtime`. */
export function runtimeCommand(runtime: Exclude<RuntimeName, 'node'>, entry: string): { executable: string; args: string[] } {
  const executable = findBinary(runtime, dirname(entry));
  if (runtime === 'bun') return { executable, args: ['run', entry] };
  // -A: the served program needs run, the server net, static files read.
  return { executable, args: ['run', '-A', '--quiet', entry] };
}

/** Re-run `entry` with `args` on `runtime`; resolves with the exit code to use. */
export function reexec(runtime: Exclude<RuntimeName, 'node'>, entry: string, args: readonly string[]): Promise<number> {
  const command = runtimeCommand(runtime, entry);
  const child = spawn(command.executable, [...command.args, ...args], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`framewire: cannot start ${runtime} (${command.executable}): ${error.message}\n`);
      resolve(2);
    });
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1));
    });
  });
}

/** node_modules binaries walking up from `from`, then the name on PATH. */
function findBinary(runtime: 'bun' | 'deno', from: string): string {
  const relative = runtime === 'deno' ? ['node_modules', 'deno', 'deno'] : ['node_modules', '.bin', 'bun'];
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, ...relative);
    if (existsSync(candidate)) return candidate;
    if (dir === parse(dir).root) return runtime;
  }
}
