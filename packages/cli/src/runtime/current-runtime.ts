/**
 * Which JavaScript runtime runs the CLI, read from the globals each one
 * defines (Bun and Deno also define `process`, so they are checked first).
 *
 * @module
 */

/** The runtimes the CLI runs on. */
export type RuntimeName = 'node' | 'bun' | 'deno';

/** The runtime running this code. */
export function currentRuntime(): RuntimeName {
  const scope = globalThis as { Bun?: unknown; Deno?: unknown };
  if (scope.Bun !== undefined) return 'bun';
  if (scope.Deno !== undefined) return 'deno';
  return 'node';
}

/** Check a `--runtime` value. */
export function isRuntimeName(value: string): value is RuntimeName {
  return value === 'node' || value === 'bun' || value === 'deno';
}
