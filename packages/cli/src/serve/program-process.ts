/**
 * One running PROGRAM: spawned without a shell (arguments as an array), in
 * its own process group so that stopping it also stops what it started, and
 * stopped in steps: stdin EOF, then SIGTERM after a grace period, then
 * SIGKILL. Every live program is in {@link liveProgramCount} so the server
 * can refuse new ones (`--max-forks`) and stop them all on shutdown.
 *
 * @module
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { runtimeSpawner, type ProgramChild, type ProgramExit, type ProgramSpec, type Spawner } from './program-child.js';

export type { ProgramChild, ProgramExit, ProgramSpec, Spawner } from './program-child.js';

/** How a program is stopped once its client is gone. */
export interface StopTimings {
  /** Ms between stdin EOF and SIGTERM. */
  readonly graceMs: number;
  /** Ms between SIGTERM and SIGKILL. */
  readonly killMs: number;
}

/** Default stop steps: 1 s after EOF comes SIGTERM, 2 s later SIGKILL. */
export const DEFAULT_STOP_TIMINGS: StopTimings = Object.freeze({ graceMs: 1000, killMs: 2000 });

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
  /** Its process and pipes (see {@link ProgramChild}). */
  readonly child: ProgramChild;
  /** Resolves once the program exited and its stdout and stderr closed. Never rejects. */
  readonly exited: Promise<ProgramExit>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopping = false;
  #done = false;

  /** `spawner` starts it: the runtime's own spawn unless told (the spawn helper). */
  constructor(spec: ProgramSpec, env: Record<string, string>, cwd?: string, spawner: Spawner = runtimeSpawner) {
    this.child = spawner.spawn(spec, env, cwd);
    live.add(this);
    // Children it left behind in its group go with it; they would also
    // hold its stdout open and keep the pipes from ever closing.
    void this.child.exit.then(() => this.#signalGroup('SIGKILL'));
    this.exited = this.child.closed.then((exit) => {
      this.#done = true;
      clearTimeout(this.#timer);
      live.delete(this);
      return exit;
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
    this.child.endInput();
    // Unread output must not keep the pipes (and so the exit) open.
    this.child.resumeOutput();
    // One timer at a time (most programs exit at EOF long before it fires).
    this.#timer = setTimeout(() => {
      this.signal('SIGTERM');
      this.#timer = setTimeout(() => this.signal('SIGKILL'), timings.killMs);
    }, timings.graceMs);
  }

  #signalGroup(signal: NodeJS.Signals): void {
    this.child.signalGroup(signal);
  }
}
