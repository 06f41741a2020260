/**
 * One program started by the spawn helper, as a {@link ProgramChild}. Its
 * stdio travels as records on the helper's channel (helper-protocol.ts), so
 * the flow control a pipe or socket would give is kept here by windows:
 *
 * - stdin: at most {@link INPUT_WINDOW} bytes sent and not yet reported
 *   written (INPUT_TAKEN); more waits in this object, and `write()` says
 *   wait once {@link PENDING_LIMIT} bytes wait (a socket's high-water mark).
 * - stdout: the bytes of the chunks handed to the reader go back to the
 *   helper as CREDIT, once half a window has gathered (so a program with a
 *   short answer costs no CREDIT at all, and one with a long answer never
 *   waits for one while the reader keeps up). While the reader paused,
 *   chunks wait here and no credit goes back, so at most
 *   {@link OUTPUT_WINDOW} bytes are held and the program then blocks on its
 *   own write.
 * - stderr is handed out as it comes.
 *
 * @module
 */
import { constants } from 'node:os';
import { INPUT_WINDOW, OUTPUT_WINDOW } from './helper-protocol.js';
import type { ProgramChild, ProgramExit } from './program-child.js';

/** Bytes waiting for the stdin window past which write() says wait. */
export const PENDING_LIMIT = 16 * 1024;

/** What a program sends to the helper (SpawnHelper frames it). */
export interface HelperLink {
  input(data: Uint8Array): void;
  inputEnd(): void;
  credit(bytes: number): void;
  kill(signal: number): void;
}

/** A readable side: chunks wait while nobody listens or the reader paused. */
class Outlet {
  #chunks: Uint8Array[] = [];
  #listener: [(chunk: Uint8Array) => void, () => void] | undefined;
  #ended = false;
  #delivered = false;
  paused = false;
  readonly done: Promise<void>;
  #done!: () => void;

  /** `consumed` hears the size of every chunk handed to the reader. */
  constructor(private readonly consumed: (bytes: number) => void) {
    this.done = new Promise((resolve) => (this.#done = resolve));
  }

  listen(onData: (chunk: Uint8Array) => void, onEnd: () => void): void {
    this.#listener = [onData, onEnd];
    this.deliver();
  }

  /** A chunk came: hand it out now when the reader takes it, else keep it. */
  push(chunk: Uint8Array): void {
    if (this.#ended) return;
    if (this.#chunks.length === 0 && !this.paused && this.#listener !== undefined) {
      this.consumed(chunk.byteLength);
      this.#listener[0](chunk);
      return;
    }
    this.#chunks.push(chunk);
  }

  end(): void {
    this.#ended = true;
    this.deliver();
  }

  get ended(): boolean {
    return this.#ended;
  }

  deliver(): void {
    const listener = this.#listener;
    if (listener === undefined) return;
    while (!this.paused && this.#chunks.length > 0) {
      const chunk = this.#chunks.shift()!;
      this.consumed(chunk.byteLength);
      listener[0](chunk);
    }
    if (this.#ended && this.#chunks.length === 0 && !this.#delivered) {
      this.#delivered = true;
      listener[1]();
      this.#done();
    }
  }

  /** Nobody will read it (spawn failed, helper gone): the end counts as delivered. */
  abandon(): void {
    this.#ended = true;
    if (this.#listener !== undefined) return this.deliver();
    this.#done();
  }
}

/**
 * A program started by the helper (see the module comment). SpawnHelper
 * feeds it the helper's records for its id.
 */
export class HelperChild implements ProgramChild {
  #pid: number | undefined;
  /** stdout bytes handed to the reader and not yet returned as credit. */
  #owed = 0;
  #inFlight = 0;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #inputEnded = false;
  #inputEndSent = false;
  #inputGone = false;
  #waiting: (() => void)[] = [];
  #exitState: ProgramExit | undefined;
  #exit!: (exit: ProgramExit) => void;
  readonly #link: HelperLink;
  readonly #output: Outlet;
  readonly #errors: Outlet;
  readonly exit: Promise<ProgramExit>;
  readonly closed: Promise<ProgramExit>;

  constructor(link: HelperLink) {
    this.#link = link;
    this.#output = new Outlet((bytes) => {
      this.#owed += bytes;
      if (this.#owed < OUTPUT_WINDOW / 2) return;
      link.credit(this.#owed);
      this.#owed = 0;
    });
    this.#errors = new Outlet(() => {});
    this.exit = new Promise((resolve) => (this.#exit = resolve));
    // Closed once the last output was handed out, as a pipe closes after its last read.
    this.closed = Promise.all([this.exit, this.#output.done, this.#errors.done]).then(([exit]) => exit);
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  get inputEnded(): boolean {
    return this.#inputEnded;
  }

  write(data: Uint8Array | string): boolean {
    if (this.#inputEnded || this.#inputGone || this.#exitState !== undefined) return true;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (bytes.byteLength === 0) return this.#queuedBytes < PENDING_LIMIT;
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.byteLength;
    this.#sendInput();
    return this.#queuedBytes < PENDING_LIMIT;
  }

  drained(): Promise<void> {
    if (this.#queuedBytes < PENDING_LIMIT || this.#inputGone || this.#exitState !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  endInput(): void {
    if (this.#inputEnded) return;
    this.#inputEnded = true;
    this.#sendInput();
  }

  readOutput(onData: (chunk: Uint8Array) => void, onEnd: () => void): void {
    this.#output.listen(onData, onEnd);
  }

  pauseOutput(): void {
    this.#output.paused = true;
  }

  resumeOutput(): void {
    if (!this.#output.paused) return;
    this.#output.paused = false;
    // Later, as a stream's resume(): the caller may be inside a send.
    queueMicrotask(() => this.#output.deliver());
  }

  readErrors(onData: (chunk: Uint8Array) => void, onEnd: () => void): void {
    this.#errors.listen(onData, onEnd);
  }

  signalGroup(signal: NodeJS.Signals): void {
    const number = constants.signals[signal];
    if (this.#exitState === undefined && number !== undefined) this.#link.kill(number);
  }

  /** Exited and both outputs ended: the helper has nothing more for it. */
  get settled(): boolean {
    return this.#exitState !== undefined && this.#output.ended && this.#errors.ended;
  }

  spawned(pid: number): void {
    this.#pid = pid;
  }

  output(chunk: Uint8Array): void {
    this.#output.push(chunk);
  }

  outputEnd(): void {
    this.#output.end();
  }

  errors(chunk: Uint8Array): void {
    this.#errors.push(chunk);
  }

  errorsEnd(): void {
    this.#errors.end();
  }

  /** The helper wrote `bytes` of stdin into the pipe: the window opens by that much. */
  inputTaken(bytes: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - bytes);
    this.#sendInput();
  }

  /** The program closed its stdin: what waits and what comes is dropped. */
  inputGone(): void {
    this.#inputGone = true;
    this.#dropInput();
  }

  exited(exit: ProgramExit): void {
    this.#exitState = exit;
    // Writes after the exit are dropped: nobody waits for room.
    this.#dropInput();
    this.#exit(exit);
  }

  /** The spawn failed (no such program, no memory, no helper). */
  failed(): void {
    this.#abandon({ code: 127, signal: null });
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
  }

  /** Nothing more will come for it: settle without waiting for the helper. */
  #abandon(exit: ProgramExit): void {
    if (this.#exitState === undefined) this.exited(exit);
    this.#output.abandon();
    this.#errors.abandon();
  }

  /** Send what waits while the window has room; then stdin's end, once asked for and nothing waits. */
  #sendInput(): void {
    while (this.#queue.length > 0 && this.#inFlight < INPUT_WINDOW) {
      const head = this.#queue[0]!;
      const room = INPUT_WINDOW - this.#inFlight;
      const piece = head.byteLength <= room ? head : head.subarray(0, room);
      if (piece === head) this.#queue.shift();
      else this.#queue[0] = head.subarray(room);
      this.#inFlight += piece.byteLength;
      this.#queuedBytes -= piece.byteLength;
      this.#link.input(piece);
    }
    if (this.#queuedBytes < PENDING_LIMIT) this.#wake();
    if (this.#queue.length === 0 && this.#inputEnded && !this.#inputEndSent && !this.#inputGone && this.#exitState === undefined) {
      this.#inputEndSent = true;
      this.#link.inputEnd();
    }
  }

  #dropInput(): void {
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#wake();
  }

  #wake(): void {
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}
