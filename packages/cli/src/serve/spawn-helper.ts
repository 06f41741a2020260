/**
 * Spawning through framewire's spawn helper (native/spawn-helper.c), on
 * Linux x64 and arm64 (static binaries, any C library), on every runtime:
 * one small native process that starts every per-connection program with
 * vfork+execve instead of Node's fork (Deno's node:child_process and
 * Bun.spawn already vfork, but measured slower than the helper: their
 * per-spawn work in the server is larger).
 * The helper's module comment says why and gives the protocol.
 *
 * The program gets pipes, as websocketd gives (libuv and Bun give
 * socketpairs). Its stdin, stdout and stderr travel as records over the
 * helper's own stdin and stdout (helper-protocol.ts), with windows both ways
 * (helper-child.ts), so a connection opens no socket or pipe in the server.
 * When the helper cannot start, or dies, the server spawns with the
 * runtime's own spawn instead.
 *
 * @module
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { arch, constants, platform } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { HelperChild } from './helper-child.js';
import { encodeFrame, int32, PROTOCOL_VERSION, RECORD_BYTES, RecordReader, Report, Request, spawnBody, type HelperRecord } from './helper-protocol.js';
import type { ProgramChild, ProgramSpec } from './program-child.js';
import { resolveProgram } from './program-process.js';

/** The helper binary for this platform, when the package has one. */
export function spawnHelperPath(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const name = join('native', 'prebuilt', `${platform()}-${arch()}`, 'framewire-spawn-helper');
  // Built: dist/<chunk>.js; from source (tests): src/serve/spawn-helper.ts.
  return [join(here, '..', name), join(here, '..', '..', name)].find((file) => existsSync(file));
}

/** One running spawn helper: it starts programs and carries their stdio. */
export class SpawnHelper {
  readonly #process: ChildProcessByStdio<Writable, Readable, null>;
  readonly #children = new Map<number, HelperChild>();
  readonly #reader = new RecordReader();
  #nextId = 0;
  #alive = true;
  #corked = false;
  readonly #gone: (reason: string) => void;

  private constructor(helper: ChildProcessByStdio<Writable, Readable, null>, gone: (reason: string) => void) {
    this.#process = helper;
    this.#gone = gone;
    helper.stdout.on('data', (chunk: Buffer) => this.#reader.push(chunk, (record) => this.#dispatch(record)));
    helper.on('exit', (code, signal) => this.#lost(`spawn helper exited (${signal ?? `exit ${code}`})`));
    helper.stdin.on('error', () => {});
    // A failed kill or a broken stdin must not take the server down; 'exit' says when it is gone.
    helper.on('error', () => {});
  }

  /**
   * Start the helper at `path`; resolves once it said hello, or with the
   * reason it cannot run here. `onGone` hears it if the helper dies later.
   */
  static async start(path: string, onGone: (reason: string) => void = () => {}): Promise<SpawnHelper | { unavailable: string }> {
    const helper = spawn(path, ['--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const hello = await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => finish('no hello within 5 s'), 5000);
      const finish = (problem: string | undefined): void => {
        clearTimeout(timer);
        helper.stdout.off('data', onData);
        resolve(problem);
      };
      let got = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        got = Buffer.concat([got, chunk]);
        if (got.length < RECORD_BYTES) return;
        if (got[0] !== Report.Hello) return finish('unexpected hello');
        if (got.readInt32LE(8) !== PROTOCOL_VERSION) return finish(`speaks protocol ${got.readInt32LE(8)}, not ${PROTOCOL_VERSION} (a binary from another version)`);
        // The helper says nothing more until asked.
        finish(undefined);
      };
      helper.stdout.on('data', onData);
      helper.once('error', (error) => finish(error.message));
      helper.once('exit', (code, signal) => finish(`exited (${signal ?? `exit ${code}`})`));
    });
    if (hello !== undefined) {
      helper.kill('SIGKILL');
      return { unavailable: `spawn helper ${path}: ${hello}` };
    }
    return new SpawnHelper(helper, onGone);
  }

  /** The helper's process id. */
  get pid(): number | undefined {
    return this.#process.pid;
  }

  /** Is the helper still running (new spawns go through it)? */
  get alive(): boolean {
    return this.#alive;
  }

  /** Start `spec` with `env` (no shell; own session and process group). */
  spawn(spec: ProgramSpec, env: Record<string, string>, cwd?: string): ProgramChild {
    const id = (this.#nextId = (this.#nextId + 1) >>> 0 || 1);
    const child = new HelperChild({
      input: (data) => this.#send(Request.Input, id, [data]),
      inputEnd: () => this.#send(Request.InputEnd, id),
      credit: (bytes) => this.#send(Request.Credit, id, [int32(bytes)]),
      kill: (signal) => this.#send(Request.Kill, id, [int32(signal)]),
    });
    // execve takes a path: find a bare name on the program's PATH, as execvp would.
    const path = spec.command.includes('/') ? spec.command : resolveProgram(spec.command, env.PATH, cwd);
    if (!this.#alive || path === undefined) {
      child.failed();
      return child;
    }
    this.#children.set(id, child);
    const envList = Object.entries(env).map(([name, value]) => `${name}=${value}`);
    this.#send(Request.Spawn, id, spawnBody(path, cwd ?? '', [spec.command, ...spec.args], envList));
    return child;
  }

  /** Stop the helper (it stops any program still running). */
  close(): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#process.stdin.end();
  }

  /** Frames of one tick go to the helper in one write. */
  #send(type: Request, id: number, body?: readonly Uint8Array[]): void {
    if (!this.#alive) return;
    const stdin = this.#process.stdin;
    if (!this.#corked) {
      this.#corked = true;
      stdin.cork();
      process.nextTick(() => {
        this.#corked = false;
        stdin.uncork();
      });
    }
    stdin.write(encodeFrame(type, id, body));
  }

  #dispatch(record: HelperRecord): void {
    const child = this.#children.get(record.id);
    if (child === undefined) return;
    switch (record.type) {
      case Report.Spawned:
        child.spawned(record.a);
        break;
      case Report.Failed:
        this.#children.delete(record.id);
        child.failed();
        return;
      case Report.Exited:
        child.exited({ code: record.a < 0 ? null : record.a, signal: record.b === 0 ? null : signalName(record.b) });
        break;
      case Report.Output:
        child.output(record.data!);
        break;
      case Report.Errors:
        child.errors(record.data!);
        break;
      case Report.OutputEnd:
        child.outputEnd();
        break;
      case Report.ErrorsEnd:
        child.errorsEnd();
        break;
      case Report.InputTaken:
        child.inputTaken(record.a);
        break;
      case Report.InputGone:
        child.inputGone();
        break;
    }
    if (child.settled) this.#children.delete(record.id);
  }

  /** The helper died: its programs lost their parent; stop them and fail what was pending. */
  #lost(reason: string): void {
    const wasAlive = this.#alive;
    this.#alive = false;
    for (const [id, child] of this.#children) {
      this.#children.delete(id);
      child.orphaned();
    }
    if (wasAlive) this.#gone(reason);
  }
}

function signalName(signal: number): NodeJS.Signals | null {
  for (const [name, value] of Object.entries(constants.signals)) if (value === signal) return name as NodeJS.Signals;
  return null;
}
