/**
 * The runtime-neutral half of the sockets the `Deno.serve` and `Bun.serve`
 * upgraders hand out, where the runtime frames the wire: the `Session`-shaped
 * listener API, message counters, messages held for a late listener or the
 * async iterator, the close outcome, `close()`'s argument checks and the
 * `drained()` wait. The adapter's subclass moves messages between this and
 * its runtime's socket.
 *
 * @module
 */
import { isValidApiCloseCode } from '../protocol/close-code.js';
import { UsageError } from '../protocol/errors.js';
import type { CloseInfo } from '../session/session.js';
import type { SessionMessage } from '../session/session-inbox.js';
import type { EventMap } from '../session/session-emitter.js';

/** The events every serve socket has: those of the codec's `Session`. */
export interface ServeSocketEventMap {
  message: (data: SessionMessage, isBinary: boolean) => unknown;
  ping: (data: Uint8Array) => void;
  pong: (data: Uint8Array) => void;
  close: (info: CloseInfo) => void;
  error: (error: Error) => void;
  drain: () => void;
}

/** What {@link ServeSocketBase} needs from its socket's options. */
export interface ServeSocketBaseOptions {
  /** `drained()` waits while `bufferedAmount` is at or above this. */
  readonly highWaterMark: number;
  /** Where listener exceptions go. Default: an unhandled rejection. */
  readonly onListenerError?: ((error: unknown, event: string) => void) | undefined;
}

/** A message read and not yet delivered. */
export interface HeldMessage {
  readonly data: SessionMessage;
  readonly isBinary: boolean;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * What `send(data, { binary })` puts on the wire: a string for a text
 * message, bytes for a binary one (`binary` overrides the type of `data`).
 * @throws UsageError for bytes sent as text that are not UTF-8.
 */
export function serveMessageOf(data: string | Uint8Array | ArrayBuffer | ArrayBufferView, binary: boolean | undefined): string | Uint8Array {
  if (typeof data === 'string') return binary === true ? textEncoder.encode(data) : data;
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (binary !== false) return bytes;
  try {
    return textDecoder.decode(bytes);
  } catch {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'text messages must be valid UTF-8');
  }
}

/**
 * The shared bookkeeping of a serve socket (see the module comment). A
 * subclass counts with `countReceived` and `countSent`, delivers through
 * `emit`, `held` and `waiters`, and ends with `finish`.
 */
export abstract class ServeSocketBase<E extends ServeSocketEventMap & EventMap<E>> implements AsyncIterable<SessionMessage> {
  /** Resolves once with the close outcome; never rejects. */
  readonly closed: Promise<CloseInfo>;
  readonly #base: ServeSocketBaseOptions;
  readonly #listeners = new Map<keyof E, { fn: (...args: never[]) => unknown; once: boolean }[]>();
  #resolveClosed!: (info: CloseInfo) => void;
  #closeInfo: CloseInfo | undefined;
  #messagesReceived = 0;
  #messagesSent = 0;
  #bytesReceived = 0;
  #bytesSent = 0;
  /** Messages read and not yet delivered (no listener, no consumer, or delivery held). */
  protected held: HeldMessage[] = [];
  /** `next()` calls of async iterators waiting for a message. */
  protected waiters: ((result: IteratorResult<SessionMessage, undefined>) => void)[] = [];

  constructor(options: ServeSocketBaseOptions) {
    this.#base = options;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** Messages received (for the upgrader's `metrics()`). */
  get messagesReceived(): number {
    return this.#messagesReceived;
  }

  /** Messages sent with `send` (a runtime's own topic fan-out is not counted here). */
  get messagesSent(): number {
    return this.#messagesSent;
  }

  /** Payload bytes of the messages received (the runtime frames the wire, so frame headers are not counted). */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /** Payload bytes of the messages sent. */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** How the socket closed, once it has (`undefined` before). */
  get closeInfo(): CloseInfo | undefined {
    return this.#closeInfo;
  }

  /** Bytes the runtime has queued and not yet written. */
  abstract get bufferedAmount(): number;

  /**
   * Start the close handshake: `code` 1000 or 3000-4999 (default 1000),
   * `reason` at most 123 UTF-8 bytes. Ignored once closing.
   * @throws UsageError for a code or reason the API does not allow.
   */
  close(code = 1000, reason = ''): void {
    if (!isValidApiCloseCode(code)) throw new UsageError('FW_ERR_INVALID_CLOSE_CODE_ARG', `close code must be 1000 or 3000-4999, got ${code}`);
    if (textEncoder.encode(reason).length > 123) throw new UsageError('FW_ERR_REASON_TOO_LONG', 'close reason must be at most 123 UTF-8 bytes');
    this.closeWith(code, reason);
  }

  /** Resolves when `bufferedAmount` is below `highWaterMark` (at once if it is), or when the socket closes. */
  drained(): Promise<void> {
    if (this.#closeInfo !== undefined || this.bufferedAmount < this.#base.highWaterMark) return Promise.resolve();
    this.drainWanted();
    return new Promise((resolve) => {
      const onDone = (): void => {
        this.off('drain', onDone as E['drain']);
        this.off('close', onDone as E['close']);
        resolve();
      };
      this.on('drain', onDone as E['drain']);
      this.on('close', onDone as E['close']);
    });
  }

  /** Add `listener` for `event`. */
  on<K extends keyof E>(event: K, listener: E[K]): this {
    return this.#add(event, listener, false);
  }

  /** Add `listener` for the next `event` only. */
  once<K extends keyof E>(event: K, listener: E[K]): this {
    return this.#add(event, listener, true);
  }

  /** Remove `listener` from `event`. */
  off<K extends keyof E>(event: K, listener: E[K]): this {
    const list = this.#listeners.get(event);
    const i = list?.findIndex((entry) => entry.fn === listener) ?? -1;
    if (i >= 0) list!.splice(i, 1);
    return this;
  }

  /** Number of listeners for `event`. */
  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Messages as an async iterator; ends after the socket closed and held messages were taken. */
  [Symbol.asyncIterator](): AsyncIterableIterator<SessionMessage, undefined> {
    const next = (): Promise<IteratorResult<SessionMessage, undefined>> => {
      const held = this.held.shift();
      if (held !== undefined) {
        if (this.held.length === 0) this.heldTaken();
        return Promise.resolve({ done: false, value: held.data });
      }
      if (this.#closeInfo !== undefined) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => this.waiters.push(resolve));
    };
    const iterator: AsyncIterableIterator<SessionMessage, undefined> = {
      next,
      return: () => Promise.resolve({ done: true, value: undefined }),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Send the close frame (the arguments are checked); ignored once closing. */
  protected abstract closeWith(code: number, reason: string): void;

  /** Hand messages held before the first 'message' listener to it, in order. */
  protected abstract flushHeld(): void;

  /** `drained()` is about to wait: a runtime without a drain event starts watching. */
  protected drainWanted(): void {}

  /** The async iterator took the last held message: a runtime that paused reading resumes. */
  protected heldTaken(): void {}

  /** The socket closed: stop the subclass's timers (called once, before 'close' is emitted). */
  protected abstract released(): void;

  /** Count one received message of `bytes` payload bytes. */
  protected countReceived(bytes: number): void {
    this.#messagesReceived++;
    this.#bytesReceived += bytes;
  }

  /** Count one sent message of `bytes` payload bytes. */
  protected countSent(bytes: number): void {
    this.#messagesSent++;
    this.#bytesSent += bytes;
  }

  /** Record the close outcome once: release timers, end the iterators, resolve `closed`, emit 'close'. */
  protected finish(info: CloseInfo): void {
    if (this.#closeInfo !== undefined) return;
    this.#closeInfo = info;
    this.released();
    for (const waiter of this.waiters.splice(0)) waiter({ done: true, value: undefined });
    this.#resolveClosed(info);
    this.emit('close', [info] as Parameters<E['close']>);
  }

  /** Call the listeners of `event`; returns the promises they returned (for receive backpressure). */
  protected emit<K extends keyof E>(event: K, args: Parameters<E[K]>): Promise<unknown>[] {
    const pending: Promise<unknown>[] = [];
    const list = this.#listeners.get(event);
    if (list === undefined) return pending;
    for (const entry of list.slice()) {
      if (entry.once) list.splice(list.indexOf(entry), 1);
      try {
        const result = (entry.fn as (...a: unknown[]) => unknown)(...args);
        if (result instanceof Promise) pending.push(result.catch((error: unknown) => this.#listenerError(error, String(event))));
      } catch (error) {
        this.#listenerError(error, String(event));
      }
    }
    return pending;
  }

  #add(event: keyof E, fn: (...args: never[]) => unknown, once: boolean): this {
    let list = this.#listeners.get(event);
    if (list === undefined) this.#listeners.set(event, (list = []));
    list.push({ fn, once });
    // Messages that arrived before the first listener go to it, in order (on a microtask, as queueMicrotask would).
    if (event === 'message' && this.held.length > 0) void Promise.resolve().then(() => this.flushHeld());
    return this;
  }

  #listenerError(error: unknown, event: string): void {
    const hook = this.#base.onListenerError;
    if (hook !== undefined) hook(error, event);
    else void Promise.reject(error);
  }
}
