/**
 * `serve --shared`: one long-lived program for every client.
 *
 * - Each stdout line (or chunk, `--binary`) goes to every connected client.
 *   stdout is always read at full speed: a slow client never slows the
 *   program or the others. Each client may have `clientQueueBytes` queued;
 *   one that has more when the next stdout chunk comes is closed with 1008
 *   (policy violation). Each line is framed once for all clients (the
 *   server's topic publish), not once per client, and the lines of one
 *   stdout chunk reach each client as one write (`publishBatch`).
 * - Client messages become lines on the program's stdin, in arrival order;
 *   `--tag` prefixes each with the connection id and a tab (`7\thello`).
 *   While stdin is full, the sending client's reading is paused.
 * - When the program exits it is restarted after a delay that doubles from
 *   100 ms up to 10 s (reset once it has run 10 s), and every client gets a
 *   text message `framewire: program exited (…); restarting in N ms`. Client
 *   messages sent meanwhile wait for the new program.
 *
 * @module
 */
import type { Session } from '@framewire/codec/adapter';
import type { Log } from '../log.js';
import { pipeStderr } from './connection-bridge.js';
import { LineSplitter } from './line-splitter.js';
import { textPayload, textPayloads } from './text-line.js';
import { ProgramProcess, type ProgramExit, type ProgramSpec, type StopTimings } from './program-process.js';

/** Settings of a {@link SharedProgram}. */
export interface SharedOptions {
  readonly binary: boolean;
  readonly tag: boolean;
  readonly maxLineBytes: number;
  readonly clientQueueBytes: number;
  readonly stopTimings: StopTimings;
  readonly log: Log;
  /**
   * Sends one message to every session subscribed to {@link SHARED_TOPIC}
   * (the host's publish: framed once for all clients).
   */
  readonly publish: (topic: string, data: string | Uint8Array, binary: boolean) => number;
  /** Sends several messages, in order, to every subscriber, framed once into one write each (the host's publishBatch). */
  readonly publishBatch: (topic: string, messages: readonly (string | Uint8Array)[], binary: boolean) => number;
  /** Restart backoff: first delay and cap, in ms. */
  readonly restartMs?: { readonly initial: number; readonly max: number };
}

/** The prefix of the notice clients get when the shared program exits. */
export const RESTART_NOTICE_PREFIX = 'framewire: program exited';

/** The server topic every client of the shared program is subscribed to. */
export const SHARED_TOPIC = 'framewire:shared';

const OPEN = 1;
const STABLE_RUN_MS = 10_000;

/** One program shared by all clients (see the module comment). */
export class SharedProgram {
  readonly #spec: ProgramSpec;
  readonly #env: Record<string, string>;
  readonly #options: SharedOptions;
  readonly #clients = new Map<Session, string>();
  #program: ProgramProcess | undefined;
  #ready: Promise<void> = Promise.resolve();
  #failures = 0;
  #stopped = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #starts = 0;

  constructor(spec: ProgramSpec, env: Record<string, string>, options: SharedOptions) {
    this.#spec = spec;
    this.#env = env;
    this.#options = options;
  }

  /** How many times the program was started. */
  get starts(): number {
    return this.#starts;
  }

  /** Connected clients. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Start the program (once; later starts are restarts). */
  start(): void {
    if (this.#stopped || this.#program !== undefined) return;
    const program = new ProgramProcess(this.#spec, this.#env);
    this.#program = program;
    this.#starts++;
    const startedAt = Date.now();
    const child = program.child;
    const splitter = new LineSplitter(this.#options.maxLineBytes);
    child.readOutput(
      (chunk) => {
        // The slow-client check runs once per chunk, before it; the chunk's lines are framed once, into one write per client.
        this.#closeSlowClients();
        if (this.#options.binary) this.#options.publish(SHARED_TOPIC, chunk, true);
        else {
          const lines = splitter.push(chunk);
          if (lines.length === 1) this.#options.publish(SHARED_TOPIC, textPayload(lines[0]!), false);
          else if (lines.length > 1) this.#options.publishBatch(SHARED_TOPIC, textPayloads(chunk, lines), false);
        }
      },
      () => {
        const last = this.#options.binary ? undefined : splitter.flush();
        if (last !== undefined) this.broadcast(textPayload(last), false);
      },
    );
    pipeStderr(child, 'shared', this.#options.log);
    void program.exited.then((exit) => this.#onExit(exit, Date.now() - startedAt));
  }

  /** Send one message to every client; a client whose queue is over the limit is closed with 1008 instead. */
  broadcast(data: string | Uint8Array, binary: boolean): void {
    this.#closeSlowClients();
    this.#options.publish(SHARED_TOPIC, data, binary);
  }

  /**
   * Close with 1008 each client with more than `clientQueueBytes` queued.
   * Checked before each stdout chunk, so a client holds at most its limit
   * plus one chunk's lines.
   */
  #closeSlowClients(): void {
    for (const [session, id] of this.#clients) {
      if (session.readyState !== OPEN || session.bufferedAmount <= this.#options.clientQueueBytes) continue;
      this.#options.log.info(`[${id}] too slow (${session.bufferedAmount} bytes queued): closing with 1008`);
      session.closeWithLibraryCode(1008, 'too slow: message queue full');
    }
  }

  /** Add a client: its messages go to the program's stdin, broadcasts come to it. */
  add(session: Session, connectionId: string): void {
    this.#clients.set(session, connectionId);
    session.on('close', () => this.#clients.delete(session));
    session.subscribe(SHARED_TOPIC);
    const prefix = this.#options.tag ? new TextEncoder().encode(`${connectionId}\t`) : undefined;
    session.on('message', (data) => this.#write(data, prefix));
  }

  /** Stop for good: no restart, stdin EOF, then signals; resolves when the program is reaped. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    const program = this.#program;
    if (program === undefined) return;
    program.stop(this.#options.stopTimings);
    await program.exited;
  }

  async #write(data: unknown, prefix: Uint8Array | undefined): Promise<void> {
    await this.#ready;
    const program = this.#program;
    if (program === undefined || program.done || this.#stopped) return;
    const body = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data as Uint8Array | ArrayBuffer);
    const parts = [prefix, body, this.#options.binary ? undefined : NEWLINE].filter((part) => part !== undefined);
    const child = program.child;
    // One write per message, so lines from different clients never interleave.
    if (child.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts))) return;
    await child.drained();
  }

  #onExit(exit: ProgramExit, ranMs: number): void {
    this.#program = undefined;
    if (this.#stopped) return;
    if (ranMs >= STABLE_RUN_MS) this.#failures = 0;
    const { initial, max } = this.#options.restartMs ?? { initial: 100, max: 10_000 };
    const delay = Math.min(max, initial * 2 ** Math.min(this.#failures, 20));
    this.#failures++;
    const how = exit.signal !== null ? `killed by ${exit.signal}` : `exit ${exit.code}`;
    this.#options.log.info(`shared program ended (${how}); restarting in ${delay} ms`);
    this.broadcast(`${RESTART_NOTICE_PREFIX} (${how}); restarting in ${delay} ms`, false);
    let ready!: () => void;
    this.#ready = new Promise((resolve) => (ready = resolve));
    this.#restartTimer = setTimeout(() => {
      this.start();
      ready();
    }, delay);
  }
}

const NEWLINE = new Uint8Array([0x0a]);
