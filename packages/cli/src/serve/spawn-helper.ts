/**
 * Spawning through framewire's spawn helper (native/spawn-helper.c), on
 * Linux x64, on every runtime: one small native process that starts every
 * per-connection program with posix_spawn (vfork) instead of Node's fork
 * (Deno's node:child_process and Bun.spawn already vfork, but measured
 * slower than the helper: their per-spawn work in the server is larger).
 * The helper's module comment says why and gives the protocol.
 *
 * The program gets pipes, as websocketd gives (libuv and Bun give
 * socketpairs). The helper connects twice to a listener of ours in a private
 * folder, announcing each connection with a 16-byte header (token, request
 * id, role), and moves bytes between those connections and the pipes with
 * splice(2): the first carries stdin and stdout, the second stderr. A
 * program's {@link ProgramChild} takes writes and listeners before its
 * connections arrive and hands them over when they do. When the helper
 * cannot start, or dies, the server spawns with the runtime's own spawn
 * instead.
 *
 * @module
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { arch, constants, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { writableDrained, type ProgramChild, type ProgramExit, type ProgramSpec } from './program-child.js';
import { resolveProgram } from './program-process.js';

const HEADER_BYTES = 16;
/** Bytes written to a program before its socket came, past which write() says wait (a socket's high-water mark). */
const PENDING_LIMIT = 16 * 1024;
const RECORD_BYTES = 16;
const PROTOCOL_VERSION = 1;
const enum Report {
  Spawned = 1,
  Failed = 2,
  Exited = 3,
  Hello = 9,
}
const enum Request {
  Spawn = 1,
  Kill = 2,
}
const enum Role {
  Io = 0,
  Errors = 1,
}

/** The helper binary for this platform, when the package has one. */
export function spawnHelperPath(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const name = join('native', 'prebuilt', `${platform()}-${arch()}`, 'framewire-spawn-helper');
  // Built: dist/<chunk>.js; from source (tests): src/serve/spawn-helper.ts.
  return [join(here, '..', name), join(here, '..', '..', name)].find((file) => existsSync(file));
}

/** One running spawn helper and the listener its programs' stdio connects to. */
export class SpawnHelper {
  readonly #process: ChildProcessByStdio<Writable, Readable, null>;
  readonly #listener: Server;
  readonly #folder: string;
  readonly #token: Buffer;
  readonly #children = new Map<number, HelperChild>();
  #nextId = 0;
  #records: Buffer = Buffer.alloc(0);
  #alive = true;
  readonly #gone: (reason: string) => void;

  private constructor(helper: ChildProcessByStdio<Writable, Readable, null>, listener: Server, folder: string, token: Buffer, gone: (reason: string) => void) {
    this.#process = helper;
    this.#listener = listener;
    this.#folder = folder;
    this.#token = token;
    this.#gone = gone;
    listener.on('connection', (socket) => this.#adopt(socket));
    helper.stdout.on('data', (chunk: Buffer) => this.#read(chunk));
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
    let folder: string;
    try {
      // mkdtemp makes it 0700: only this user can connect to the socket inside.
      folder = mkdtempSync(join(tmpdir(), 'framewire-spawn-'));
    } catch (error) {
      return { unavailable: `no private folder in ${tmpdir()}: ${(error as Error).message}` };
    }
    const socketPath = join(folder, 'stdio.sock');
    const listener = createServer({ pauseOnConnect: true });
    try {
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(socketPath, () => resolve());
      });
    } catch (error) {
      rmSync(folder, { recursive: true, force: true });
      return { unavailable: `cannot listen on ${socketPath}: ${(error as Error).message}` };
    }
    const helper = spawn(path, [socketPath], { stdio: ['pipe', 'pipe', 'inherit'] });
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
        if (got[0] !== Report.Hello || got.readInt32LE(8) !== PROTOCOL_VERSION) return finish('unexpected hello');
        // Hold what follows until the running helper listens.
        helper.stdout.pause();
        if (got.length > RECORD_BYTES) helper.stdout.unshift(got.subarray(RECORD_BYTES));
        finish(undefined);
      };
      helper.stdout.on('data', onData);
      helper.once('error', (error) => finish(error.message));
      helper.once('exit', (code, signal) => finish(`exited (${signal ?? `exit ${code}`})`));
    });
    if (hello !== undefined) {
      helper.kill('SIGKILL');
      listener.close();
      rmSync(folder, { recursive: true, force: true });
      return { unavailable: `spawn helper ${path}: ${hello}` };
    }
    const token = randomBytes(8);
    helper.stdin.write(token);
    const running = new SpawnHelper(helper, listener, folder, token, onGone);
    helper.stdout.resume();
    return running;
  }

  /** Is the helper still running (new spawns go through it)? */
  get alive(): boolean {
    return this.#alive;
  }

  /** Start `spec` with `env` (no shell; own session and process group). */
  spawn(spec: ProgramSpec, env: Record<string, string>, cwd?: string): ProgramChild {
    const id = (this.#nextId = (this.#nextId + 1) >>> 0 || 1);
    const child = new HelperChild((signal) => this.#send(Request.Kill, id, [signal]));
    // posix_spawn takes a path: find a bare name on the program's PATH, as execvp would.
    const path = spec.command.includes('/') ? spec.command : resolveProgram(spec.command, env.PATH, cwd);
    if (!this.#alive || path === undefined) {
      child.failed();
      return child;
    }
    this.#children.set(id, child);
    const strings: string[] = [path, cwd ?? ''];
    const argv = [spec.command, ...spec.args];
    const envList = Object.entries(env).map(([name, value]) => `${name}=${value}`);
    this.#send(Request.Spawn, id, [], strings, argv, envList);
    return child;
  }

  /** Stop the helper (it stops any program still running) and remove the listener's folder. */
  close(): void {
    if (this.#alive) {
      this.#alive = false;
      this.#process.stdin.end();
    }
    this.#listener.close();
    rmSync(this.#folder, { recursive: true, force: true });
  }

  #send(type: Request, id: number, ints: readonly number[], strings: readonly string[] = [], ...lists: (readonly string[])[]): void {
    if (!this.#alive) return;
    const parts: Buffer[] = [];
    const head = Buffer.alloc(9 + 4 * ints.length);
    head[4] = type;
    head.writeUInt32LE(id, 5);
    ints.forEach((value, index) => head.writeInt32LE(value, 9 + 4 * index));
    parts.push(head);
    if (strings.length > 0) parts.push(Buffer.from(`${strings.join('\0')}\0`));
    for (const list of lists) {
      const count = Buffer.alloc(4);
      count.writeUInt32LE(list.length);
      parts.push(count, Buffer.from(list.map((item) => `${item}\0`).join('')));
    }
    const frame = Buffer.concat(parts);
    frame.writeUInt32LE(frame.length - 4, 0);
    this.#process.stdin.write(frame);
  }

  #read(chunk: Buffer): void {
    const records = this.#records.length > 0 ? Buffer.concat([this.#records, chunk]) : chunk;
    let at = 0;
    for (; records.length - at >= RECORD_BYTES; at += RECORD_BYTES) {
      const type = records[at];
      const id = records.readUInt32LE(at + 4);
      const a = records.readInt32LE(at + 8);
      const child = this.#children.get(id);
      if (child === undefined) continue;
      if (type === Report.Spawned) child.spawned(a);
      else if (type === Report.Failed) {
        this.#children.delete(id);
        child.failed();
      } else if (type === Report.Exited) {
        const signal = records.readInt32LE(at + 12);
        child.exited({ code: a < 0 ? null : a, signal: signal === 0 ? null : signalName(signal) });
        // Its sockets were connected before it started: they may still be on their way.
        if (child.settled) this.#children.delete(id);
      }
    }
    this.#records = records.subarray(at);
  }

  /** A connection from the helper: read its header, hand it to its program. */
  #adopt(socket: Socket): void {
    socket.on('error', () => {});
    const onReadable = (): void => {
      const header = socket.read(HEADER_BYTES) as Buffer | null;
      if (header === null) return;
      socket.off('readable', onReadable);
      const id = header.readUInt32LE(8);
      const child = header.subarray(0, 8).equals(this.#token) ? this.#children.get(id) : undefined;
      if (child === undefined) return void socket.destroy();
      child.attach(header[12] === Role.Io ? 'io' : 'errors', socket);
      if (child.settled) this.#children.delete(id);
    };
    socket.on('readable', onReadable);
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

/** Deliver a socket's data and end; until this it is not flowing, so nothing is read unseen. */
function listen(socket: Socket, onData: (chunk: Uint8Array) => void, onEnd: () => void, paused: boolean): void {
  // Nothing but its header came before EOF, and 'end' went out before anyone listened.
  if (socket.readableEnded) return queueMicrotask(onEnd);
  socket.on('data', onData);
  socket.on('end', onEnd);
  // Adding a 'data' listener may set it flowing: hold it if stdout is paused.
  if (paused) socket.pause();
  else socket.resume();
}

function signalName(signal: number): NodeJS.Signals | null {
  for (const [name, value] of Object.entries(constants.signals)) if (value === signal) return name as NodeJS.Signals;
  return null;
}

/**
 * A program started by the helper. Its sockets come a little after the
 * request: writes, listeners, pause and EOF wait in here until then.
 */
class HelperChild implements ProgramChild {
  #pid: number | undefined;
  #io: Socket | undefined;
  #errors: Socket | undefined;
  #pending: (Uint8Array | string)[] = [];
  #pendingBytes = 0;
  #inputEnded = false;
  #paused = false;
  #onOutput: [(chunk: Uint8Array) => void, () => void] | undefined;
  #onErrors: [(chunk: Uint8Array) => void, () => void] | undefined;
  #waitingIo: (() => void)[] = [];
  #exit!: (exit: ProgramExit) => void;
  #ioEnded!: () => void;
  #errorsEnded!: () => void;
  #exitState: ProgramExit | undefined;
  #abandoned = false;
  readonly #kill: (signal: number) => void;
  readonly exit: Promise<ProgramExit>;
  readonly closed: Promise<ProgramExit>;

  constructor(kill: (signal: number) => void) {
    this.#kill = kill;
    this.exit = new Promise((resolve) => (this.#exit = resolve));
    const ioEnded = new Promise<void>((resolve) => (this.#ioEnded = resolve));
    const errorsEnded = new Promise<void>((resolve) => (this.#errorsEnded = resolve));
    this.closed = Promise.all([this.exit, ioEnded, errorsEnded]).then(([exit]) => exit);
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  get inputEnded(): boolean {
    return this.#inputEnded;
  }

  write(data: Uint8Array | string): boolean {
    if (this.#inputEnded || this.#exitState !== undefined) return true;
    if (this.#io === undefined) {
      this.#pending.push(data);
      this.#pendingBytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
      // As a socket's write would: past the high-water mark, wait for drained() (the socket's arrival).
      return this.#pendingBytes < PENDING_LIMIT;
    }
    return this.#io.destroyed ? true : this.#io.write(data);
  }

  drained(): Promise<void> {
    const io = this.#io;
    if (io === undefined) {
      if (this.#exitState !== undefined) return Promise.resolve();
      return new Promise((resolve) => this.#waitingIo.push(resolve));
    }
    return writableDrained(io);
  }

  endInput(): void {
    if (this.#inputEnded) return;
    this.#inputEnded = true;
    if (this.#io !== undefined && !this.#io.writableEnded) this.#io.end();
  }

  readOutput(onData: (chunk: Uint8Array) => void, onEnd: () => void): void {
    this.#onOutput = [onData, onEnd];
    if (this.#io !== undefined) listen(this.#io, onData, onEnd, this.#paused);
    else if (this.#abandoned) queueMicrotask(onEnd);
  }

  pauseOutput(): void {
    this.#paused = true;
    this.#io?.pause();
  }

  resumeOutput(): void {
    this.#paused = false;
    // Flowing without a listener would drop data: readOutput starts the flow.
    if (this.#onOutput !== undefined) this.#io?.resume();
  }

  readErrors(onData: (chunk: Uint8Array) => void, onEnd: () => void): void {
    this.#onErrors = [onData, onEnd];
    if (this.#errors !== undefined) listen(this.#errors, onData, onEnd, false);
    else if (this.#abandoned) queueMicrotask(onEnd);
  }

  signalGroup(signal: NodeJS.Signals): void {
    const number = constants.signals[signal];
    if (this.#exitState === undefined && number !== undefined) this.#kill(number);
  }

  /** Exited, and both sockets came: the helper has nothing more for it. */
  get settled(): boolean {
    return this.#exitState !== undefined && this.#io !== undefined && this.#errors !== undefined;
  }

  spawned(pid: number): void {
    this.#pid = pid;
  }

  attach(role: 'io' | 'errors', socket: Socket): void {
    if (role === 'errors') {
      this.#errors = socket;
      socket.on('close', () => this.#errorsEnded());
      if (this.#onErrors !== undefined) listen(socket, ...this.#onErrors, false);
      return;
    }
    this.#io = socket;
    socket.on('close', () => this.#ioEnded());
    if (this.#onOutput !== undefined) listen(socket, ...this.#onOutput, this.#paused);
    for (const data of this.#pending) socket.write(data);
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#inputEnded || this.#exitState !== undefined) socket.end();
    for (const resolve of this.#waitingIo.splice(0)) resolve();
  }

  exited(exit: ProgramExit): void {
    this.#exitState = exit;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#exit(exit);
    // Writes after the exit are dropped: nobody waits for room.
    for (const resolve of this.#waitingIo.splice(0)) resolve();
  }

  /** Nothing more will come for it: settle without waiting for sockets. */
  #abandon(exit: ProgramExit): void {
    this.#abandoned = true;
    this.exited(exit);
    if (this.#io === undefined) {
      this.#ioEnded();
      if (this.#onOutput !== undefined) queueMicrotask(this.#onOutput[1]);
    }
    if (this.#errors === undefined) {
      this.#errorsEnded();
      if (this.#onErrors !== undefined) queueMicrotask(this.#onErrors[1]);
    }
  }

  /** posix_spawn failed (no such program, no memory, no helper). */
  failed(): void {
    this.#abandon({ code: 127, signal: null });
    this.#io?.destroy();
    this.#errors?.destroy();
  }

  /** The helper died under a running program: stop its group ourselves. */
  orphaned(): void {
    if (this.#pid !== undefined) {
      try {
        process.kill(-this.#pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.#abandon({ code: null, signal: 'SIGKILL' });
    this.#io?.destroy();
    this.#errors?.destroy();
  }
}
