/**
 * {@link ProgramChild} over `Bun.spawn` (posix_spawn, no fork of the server;
 * Bun's `node:child_process` layer on top of it costs about half the spawn
 * rate). stdin is a FileSink: a write is queued, then flushed; a flush that
 * returns a promise means the pipe is full, which is the backpressure signal.
 * stdout and stderr are read with their stream readers, one read at a time,
 * so pausing is simply not asking for the next chunk.
 *
 * @module
 */
import { signalProcessGroup, type ProgramChild, type ProgramExit, type ProgramSpec } from './program-child.js';

/** The part of Bun's `Subprocess` used here (the CLI is typed against Node's types only). */
interface BunSubprocess {
  readonly pid: number;
  readonly stdin: {
    write(chunk: Uint8Array | string): number | Promise<number>;
    flush(): number | Promise<number>;
    end(): number | Promise<number>;
  };
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<number>;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
}
type BunSpawn = (
  command: string[],
  options: { env: Record<string, string>; cwd?: string; stdin: 'pipe'; stdout: 'pipe'; stderr: 'pipe'; detached: boolean },
) => BunSubprocess;

/** Spawn with `Bun.spawn`: own process group (`detached`: setsid), piped stdio, no shell. */
export function spawnBunChild(spec: ProgramSpec, env: Record<string, string>, cwd?: string): ProgramChild {
  const bunSpawn = (globalThis as unknown as { Bun: { spawn: BunSpawn } }).Bun.spawn;
  const proc = bunSpawn([spec.command, ...spec.args], {
    env,
    ...(cwd !== undefined ? { cwd } : {}),
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    // Its own process group, as on Node: signals reach what it forked. (This
    // costs Bun about half its bare spawn rate, in latency more than CPU; going
    // through setsid(1) instead measured no better in the whole server.)
    detached: true,
  });
  const stdin = proc.stdin;
  let inputEnded = false;
  let inputGone = false;
  // The flush of a full pipe: writers wait for it.
  let pending: Promise<unknown> | undefined;
  const exit = proc.exited.then(
    (): ProgramExit => ({ code: proc.signalCode !== null ? null : proc.exitCode, signal: proc.signalCode }),
    (): ProgramExit => ({ code: 127, signal: null }),
  );
  const stdout = new PipeReader(proc.stdout);
  const stderr = new PipeReader(proc.stderr);
  const closed = Promise.all([exit, stdout.ended, stderr.ended]).then(([result]) => result);
  const guard = (result: number | Promise<number>): void => {
    // EPIPE when the program exits without reading: not an error here.
    if (typeof result !== 'number') void result.catch(() => (inputGone = true));
  };
  return {
    pid: proc.pid,
    write: (data) => {
      if (inputEnded || inputGone) return true;
      try {
        guard(stdin.write(data));
        const flushed = stdin.flush();
        if (typeof flushed === 'number') return pending === undefined;
        const wait = flushed.catch(() => (inputGone = true)).finally(() => {
          if (pending === wait) pending = undefined;
        });
        pending = wait;
        return false;
      } catch {
        inputGone = true;
        return true;
      }
    },
    drained: async () => {
      while (pending !== undefined && !inputGone) await pending;
    },
    endInput: () => {
      if (inputEnded) return;
      inputEnded = true;
      try {
        guard(stdin.end());
      } catch {
        inputGone = true;
      }
    },
    get inputEnded() {
      return inputEnded;
    },
    readOutput: (onData, onEnd) => stdout.start(onData, onEnd),
    pauseOutput: () => stdout.pause(),
    resumeOutput: () => stdout.resume(),
    readErrors: (onData, onEnd) => stderr.start(onData, onEnd),
    // Also after the leader exited: what it left in its group must go too.
    signalGroup: (signal) => signalProcessGroup(proc.pid, signal),
    exit,
    closed,
  };
}

/** Reads a pipe's stream chunk by chunk, with pause and resume. */
class PipeReader {
  readonly ended: Promise<void>;
  readonly #stream: ReadableStream<Uint8Array>;
  #markEnded!: () => void;
  #paused = false;
  #wake: (() => void) | undefined;
  #started = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#stream = stream;
    this.ended = new Promise((resolve) => (this.#markEnded = resolve));
  }

  start(onData: (chunk: Uint8Array) => void, onEnd: () => void): void {
    if (this.#started) return;
    this.#started = true;
    void this.#loop(onData, onEnd);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#wake?.();
    this.#wake = undefined;
  }

  async #loop(onData: (chunk: Uint8Array) => void, onEnd: () => void): Promise<void> {
    const reader = this.#stream.getReader();
    for (;;) {
      while (this.#paused) await new Promise<void>((resolve) => (this.#wake = resolve));
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch {
        break; // the pipe broke: as EOF
      }
      if (result.done) break;
      onData(result.value);
    }
    this.#markEnded();
    onEnd();
  }
}
