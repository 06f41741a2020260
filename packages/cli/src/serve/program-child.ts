/**
 * The runtime-neutral face of one spawned program's process and pipes, so
 * the per-connection bridge and the shared program do not care which spawn
 * made it: `node:child_process` on Node and Deno, `Bun.spawn` on Bun (about
 * twice the spawn rate of Bun's `node:child_process` layer, measured with
 * bench/cli/spawn-floor.mjs), or the spawn helper (spawn-helper.ts), which
 * `serve` uses for per-connection programs where it can run.
 *
 * @module
 */
import type { Writable } from 'node:stream';
import { currentRuntime } from '../runtime/current-runtime.js';
import { spawnBunChild } from './bun-program-child.js';
import { spawnNodeChild } from './node-program-child.js';

/** How a program ended: its exit code, or the signal that killed it. */
export interface ProgramExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A program and its arguments, exactly as given after `--`. */
export interface ProgramSpec {
  /** The executable (resolved on PATH at startup). */
  readonly command: string;
  readonly args: readonly string[];
}

/** One spawned program with piped stdin, stdout and stderr. */
export interface ProgramChild {
  /** The process id (undefined if spawn failed). */
  readonly pid: number | undefined;
  /**
   * Write to stdin. Returns false when stdin is full: wait for
   * {@link ProgramChild.drained} before writing more. Writes after the
   * program is gone are dropped (it may exit without reading).
   */
  write(data: Uint8Array | string): boolean;
  /** Resolves when stdin can take more, or is gone. */
  drained(): Promise<void>;
  /** Close stdin (the program reads EOF). Idempotent. */
  endInput(): void;
  /** Has stdin been closed by {@link ProgramChild.endInput}? */
  readonly inputEnded: boolean;
  /** Deliver stdout chunks to `onData`, then `onEnd` at EOF. Call once. */
  readOutput(onData: (chunk: Uint8Array) => void, onEnd: () => void): void;
  /** Stop reading stdout (the program blocks once the pipe is full). */
  pauseOutput(): void;
  resumeOutput(): void;
  /** Deliver stderr chunks to `onData`, then `onEnd` at EOF. Call once. */
  readErrors(onData: (chunk: Uint8Array) => void, onEnd: () => void): void;
  /**
   * Send `signal` to the program's process group (it runs in its own),
   * also after the program itself exited: what it started goes with it.
   */
  signalGroup(signal: NodeJS.Signals): void;
  /** Resolves when the process exited (its pipes may still be open). */
  readonly exit: Promise<ProgramExit>;
  /** Resolves when it exited and stdout and stderr are closed. Never rejects. */
  readonly closed: Promise<ProgramExit>;
}

/** Something that starts programs: the runtime's own spawn, or the spawn helper. */
export interface Spawner {
  spawn(spec: ProgramSpec, env: Record<string, string>, cwd?: string): ProgramChild;
}

/** The runtime's own spawn: `Bun.spawn` on Bun, `node:child_process` elsewhere. */
export const runtimeSpawner: Spawner = {
  spawn: (spec, env, cwd) => (currentRuntime() === 'bun' ? spawnBunChild(spec, env, cwd) : spawnNodeChild(spec, env, cwd)),
};

/** Spawn `spec` (no shell, arguments as an array) in its own process group with piped stdio. */
export function spawnChild(spec: ProgramSpec, env: Record<string, string>, cwd?: string): ProgramChild {
  return runtimeSpawner.spawn(spec, env, cwd);
}

/** Resolves when `stream` can take more writes, or is gone. */
export function writableDrained(stream: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!stream.writableNeedDrain || stream.destroyed) return resolve();
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** Send `signal` to process group `pid`; ESRCH (already gone) is not an error. */
export function signalProcessGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}
