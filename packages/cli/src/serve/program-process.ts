/**
 * One running PROGRAM: spawned without a shell (arguments as an array), in
 * its own process group so that stopping it also stops what it started, and
 * stopped in steps: stdin EOF, then SIGTERM after a grace period, then
 * SIGKILL. Every live program is in {@link liveProgramCount} so the server
 * can refuse new ones (`--max-forks`) and stop them all on shutdown.
 *
 * @module
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** A program and its arguments, exactly as given after `--`. */
export interface ProgramSpec {
  /** The executable (resolved on PATH at startup). */
  readonly command: string;
  readonly args: readonly string[];
}

/** How a program is stopped once its client is gone. */
export interface StopTimings {
  /** Ms between stdin EOF and SIGTERM. */
  readonly graceMs: number;
  /** Ms between SIGTERM and SIGKILL. */
  readonly killMs: number;
}

/** Default stop steps: 1 s after EOF comes SIGTERM, 2 s later SIGKILL. */
export const DEFAULT_STOP_TIMINGS: StopTimings = Object.freeze({ graceMs: 1000, killMs: 2000 });

/** How a program ended: its exit code, or the signal that killed it. */
export interface ProgramExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const live = new Set<ProgramProcess>();

/** Programs started and not yet reaped. */
export function liveProgramCount(): number {
  return live.size;
}

/**
 * Server shutdown: stop every live program (EOF, SIGTERM, SIGKILL, as when
 * its client leaves; `force` sends SIGKILL at once); resolves when all are reaped.
 */
export async function stopAllPrograms(timings: StopTimings, force = false): Promise<void> {
  const all = [...live];
  for (const program of all) {
    if (force) program.signal('SIGKILL');
    else program.stop(timings);
  }
  await Promise.all(all.map((program) => program.exited));
}

/**
 * Find `command` the way execvp would: as given when it contains a `/`,
 * else the first executable file of that name on `path`. `undefined` when
 * there is none, so the server can refuse to start instead of failing
 * every connection.
 */
export function resolveProgram(command: string, path: string | undefined, cwd = process.cwd()): string | undefined {
  const candidates = command.includes('/')
    ? [isAbsolute(command) ? command : resolve(cwd, command)]
    : (path ?? '').split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there or not executable: try the next PATH entry
    }
  }
  return undefined;
}

/** A spawned program with piped stdin, stdout and stderr. */
export class ProgramProcess {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Resolves once the program exited and its stdout and stderr closed. Never rejects. */
  readonly exited: Promise<ProgramExit>;
  readonly #timers: NodeJS.Timeout[] = [];
  #stopping = false;
  #done = false;

  constructor(spec: ProgramSpec, env: Record<string, string>, cwd?: string) {
    this.child = spawn(spec.command, [...spec.args], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group: SIGTERM/SIGKILL reach what it forked, and a
      // Ctrl-C on the server's terminal is the server's to handle.
      detached: true,
      ...(cwd !== undefined ? { cwd } : {}),
    });
    live.add(this);
    // A program that exits without reading makes our writes fail with EPIPE: not an error here.
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolveExit) => {
      const finish = (exit: ProgramExit): void => {
        if (this.#done) return;
        this.#done = true;
        for (const timer of this.#timers) clearTimeout(timer);
        live.delete(this);
        resolveExit(exit);
      };
      // Children it left behind in its group go with it; they would also
      // hold its stdout open and keep 'close' from ever coming.
      this.child.once('exit', () => this.#signalGroup('SIGKILL'));
      this.child.once('close', (code, signal) => finish({ code, signal }));
      // spawn failed (vanished executable, EAGAIN): 'close' may never come.
      this.child.once('error', () => finish({ code: 127, signal: null }));
    });
  }

  /** The process id (undefined if spawn failed). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Has the program been reaped? */
  get done(): boolean {
    return this.#done;
  }

  /** Send `signal` to the program's whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (!this.#done) this.#signalGroup(signal);
  }

  /**
   * The client is gone: close stdin (EOF), SIGTERM the group after
   * `graceMs`, SIGKILL it `killMs` later. Idempotent.
   */
  stop(timings: StopTimings = DEFAULT_STOP_TIMINGS): void {
    if (this.#stopping || this.#done) return;
    this.#stopping = true;
    this.child.stdin.end();
    // Unread output must not keep the pipes (and so 'close') open.
    this.child.stdout.resume();
    this.#timers.push(
      setTimeout(() => {
        this.signal('SIGTERM');
        this.#timers.push(setTimeout(() => this.signal('SIGKILL'), timings.killMs));
      }, timings.graceMs),
    );
  }

  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone
    }
  }
}
