/**
 * The server log: one line per event on stderr (stdout stays clean for
 * data, and harnesses wait for `READY` on stderr).
 *
 * @module
 */

/** Where server events and program stderr lines go. */
export interface Log {
  /** An access or lifecycle line (`--quiet` drops these). */
  info(message: string): void;
  /** A problem, always shown. */
  error(message: string): void;
  /** A line the program wrote to its stderr, tagged with its connection id. */
  programStderr(connectionId: string, line: string): void;
}

/** A log on `process.stderr`; `quiet` keeps only errors and program stderr. */
export function stderrLog(quiet = false): Log {
  const write = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  return {
    info: (message) => {
      if (!quiet) write(`framewire: ${message}`);
    },
    error: (message) => write(`framewire: error: ${message}`),
    programStderr: (connectionId, line) => write(`[${connectionId}] ${line}`),
  };
}
