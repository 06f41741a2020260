/**
 * A failure the user can fix (bad flag, missing program): printed as one
 * line and the process exits with `exitCode` (2 for usage, as getopt tools do).
 *
 * @module
 */

/** A usage or startup error: one readable line, no stack trace. */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: number;

  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
