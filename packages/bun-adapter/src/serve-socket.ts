import type { ServerWebSocket } from 'bun';
import {
  MAX_TOPIC_LENGTH,
  UsageError,
  isValidApiCloseCode,
  truncateCloseReason,
  type BinaryType,
  type CloseInfo,
  type SessionMessage,
} from '@framewire/codec/adapter';

/** Listener signatures of a {@link BunServeSocket}: those of the codec's `Session`. */
export interface BunServeSocketEvents {
  /**
   * A message arrived: text as a string, binary per `binaryType`. A listener
   * that returns a promise holds reading (Bun's `pause()`) until it settles.
   */
  message: (data: SessionMessage, isBinary: boolean) => unknown;
  /** A ping arrived (Bun already answered it with a pong). */
  ping: (data: Uint8Array) => void;
  /** A pong arrived. */
  pong: (data: Uint8Array) => void;
  /** The connection is closed; emitted exactly once. */
  close: (info: CloseInfo) => void;
  /** The outgoing buffer over `maxBufferedAmount`, or a message Bun refused as too big. */
  error: (error: Error) => void;
  /** Bun wrote its buffer out after `send()` returned `false`. */
  drain: () => void;
}

/** Options of a {@link BunServeSocket}. */
export interface BunServeSocketOptions {
  /** Negotiated subprotocol. */
  protocol: string;
  /** `send()` returns `false` once `bufferedAmount` reaches this. */
  highWaterMark: number;
  /** Past this many buffered outgoing bytes the connection is closed with 1008. */
  maxBufferedAmount: number;
  /** Ms to wait for Bun's close event once we started the close; past it the socket is reported closed (1006). */
  closeTimeout: number;
  binaryType: BinaryType;
  /** Where listener exceptions go. Default: an unhandled rejection. */
  onListenerError?: ((error: unknown, event: string) => void) | undefined;
}

/** What the upgrader stores in Bun's `ws.data`: the wrapper, made in `open`. @internal */
export interface BunServeSlot {
  socket: BunServeSocket<unknown> | undefined;
  readonly options: BunServeSocketOptions;
  readonly data: unknown;
  /** The upgrader that accepted it: several may share one Bun.serve (and its `websocket` handlers). */
  readonly open: (ws: ServerWebSocket<BunServeSlot>) => void;
  /** Closed before Bun opened it: the upgrader forgets it. */
  readonly forget: () => void;
}

/**
 * The close code Bun sent the peer when it closed for a protocol reason: it
 * reports 1006 with one of these reasons to the close handler.
 */
const BUN_PROTOCOL_CLOSES: ReadonlyMap<string, { code: number; what: string }> = new Map([
  ['Received too big message', { code: 1009, what: 'message over maxPayload' }],
  ['Received invalid UTF-8', { code: 1007, what: 'text message that is not UTF-8' }],
]);
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A `Bun.serve` WebSocket (`ServerWebSocket`) behind the codec `Session`'s
 * API: `send`, `close`, `ping`/`pong`, `on('message')`, async iteration,
 * `closed`, `bufferedAmount`, `drained()`, topics. Bun frames the bytes on
 * this path, so what it does not expose cannot be offered: `fin: false`
 * throws (see the package README's guarantees table).
 */
export class BunServeSocket<Data = unknown> implements AsyncIterable<SessionMessage> {
  /** Per-connection data: what the accept hook passed as `accept({ data })` (`undefined` when none); free to change. */
  data: Data = undefined as Data;
  /** How binary messages are delivered; may be changed at any time. */
  binaryType: BinaryType;
  /** The negotiated subprotocol, '' when none. */
  readonly protocol: string;
  /** The negotiated extensions ('permessage-deflate…' when on), as Bun reports them. */
  readonly extensions: string;
  /** Resolves once with the close outcome; never rejects. */
  readonly closed: Promise<CloseInfo>;
  /** Bun's socket underneath. */
  readonly socket: ServerWebSocket<BunServeSlot>;
  readonly #options: BunServeSocketOptions;
  readonly #listeners = new Map<keyof BunServeSocketEvents, { fn: (...args: never[]) => unknown; once: boolean }[]>();
  readonly #topics = new Set<string>();
  #resolveClosed!: (info: CloseInfo) => void;
  #closeInfo: CloseInfo | undefined;
  /** Messages read while delivery is held (a listener's promise, no consumer). */
  #held: { data: SessionMessage; isBinary: boolean }[] = [];
  #waiters: ((result: IteratorResult<SessionMessage, undefined>) => void)[] = [];
  /** A message listener's promise is pending: deliver nothing, Bun paused. */
  #blocked = false;
  #closing = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #messagesReceived = 0;
  #messagesSent = 0;
  #bytesReceived = 0;
  #bytesSent = 0;

  /** @internal Made by `BunServeUpgrader` in Bun's `open` handler. */
  constructor(socket: ServerWebSocket<BunServeSlot>, options: BunServeSocketOptions, extensions = '') {
    this.socket = socket;
    this.#options = options;
    this.protocol = options.protocol;
    this.extensions = extensions;
    this.binaryType = options.binaryType;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.binaryType = 'uint8array';
  }

  /** Messages received (for `BunServeUpgrader.metrics()`). */
  get messagesReceived(): number {
    return this.#messagesReceived;
  }

  /** Messages sent with `send` (publishes are Bun's, not counted here). */
  get messagesSent(): number {
    return this.#messagesSent;
  }

  /** Payload bytes of the messages received (Bun frames the wire, so frame headers are not counted). */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /** Payload bytes of the messages sent (as Bun reports them written). */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** How the socket closed, once it has (`undefined` before). */
  get closeInfo(): CloseInfo | undefined {
    return this.#closeInfo;
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  get readyState(): number {
    if (this.#closeInfo !== undefined) return 3;
    return this.#closing ? 2 : 1;
  }

  /** Bytes Bun has queued and not yet written. */
  get bufferedAmount(): number {
    return this.#closeInfo === undefined ? this.socket.getBufferedAmount() : 0;
  }

  /** The topics this connection is subscribed to (a live, read-only set). */
  get topics(): ReadonlySet<string> {
    return this.#topics;
  }

  /**
   * Send a message: a string as text, bytes as binary (`binary` overrides);
   * `compress` asks Bun to deflate it when permessage-deflate is on. Past
   * `maxBufferedAmount` buffered bytes (a peer that does not read) the
   * connection is closed with 1008 and `false` is returned.
   * @returns `false` once `bufferedAmount` reached `highWaterMark`: wait for `drained()`.
   * @throws UsageError once closing, for `fin: false` (Bun cannot send fragments) or bytes sent as text that are not UTF-8.
   */
  send(data: string | Uint8Array | ArrayBuffer | ArrayBufferView, options: { binary?: boolean; fin?: boolean; compress?: boolean } = {}): boolean {
    if (this.readyState !== 1) throw new UsageError('FW_ERR_CLOSED', 'the WebSocket is not open');
    if (options.fin === false) throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'Bun.serve sockets cannot send fragments (fin: false)');
    const compress = options.compress === true;
    let status: number;
    let empty: boolean;
    if (typeof data === 'string') {
      empty = data.length === 0;
      status = options.binary === true ? this.socket.sendBinary(textEncoder.encode(data), compress) : this.socket.sendText(data, compress);
    } else {
      empty = data.byteLength === 0;
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (options.binary === false) {
        let text: string;
        try {
          text = textDecoder.decode(bytes);
        } catch {
          throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'text messages must be valid UTF-8');
        }
        status = this.socket.sendText(text, compress);
      } else status = this.socket.sendBinary(bytes, compress);
    }
    this.#messagesSent++;
    // Bun answers the payload bytes it took (-1 when it queued them under backpressure: count the input then).
    if (status > 0) this.#bytesSent += status;
    else if (status === -1) this.#bytesSent += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    const buffered = this.socket.getBufferedAmount();
    // 0 for a non-empty message: Bun dropped it (its backpressureLimit, set to ours); or past our limit after queueing it.
    // (Bun returns the payload bytes written, so an empty message is 0 too.)
    if ((status === 0 && !empty) || buffered > this.#options.maxBufferedAmount) {
      this.#emit('error', [new Error(`outgoing buffer of ${buffered} bytes over maxBufferedAmount ${this.#options.maxBufferedAmount}`)]);
      this.#closeWith(1008, 'outgoing buffer limit exceeded');
      return false;
    }
    return buffered < this.#options.highWaterMark;
  }

  /** Resolves when `bufferedAmount` is below `highWaterMark` (at once if it is), or when the socket closes. */
  drained(): Promise<void> {
    if (this.#closeInfo !== undefined || this.socket.getBufferedAmount() < this.#options.highWaterMark) return Promise.resolve();
    return new Promise((resolve) => {
      const onDone = (): void => {
        this.off('drain', onDone);
        this.off('close', onDone);
        resolve();
      };
      this.on('drain', onDone);
      this.on('close', onDone);
    });
  }

  /** Send a ping (payload at most 125 bytes). @throws UsageError once closing or for a larger payload. */
  ping(data: Uint8Array | string = new Uint8Array(0)): void {
    this.#control(data, 'ping');
  }

  /** Send an unsolicited pong (payload at most 125 bytes). @throws UsageError once closing or for a larger payload. */
  pong(data: Uint8Array | string = new Uint8Array(0)): void {
    this.#control(data, 'pong');
  }

  /**
   * Join `topic` (Bun's own `subscribe`, so `BunServeUpgrader.publish` is
   * Bun's native fan-out). @returns `false` when already subscribed or closed.
   * @throws UsageError unless `topic` is a string of 1 to 1024 characters.
   */
  subscribe(topic: string): boolean {
    checkTopic(topic);
    if (this.#closeInfo !== undefined || this.#topics.has(topic)) return false;
    this.#topics.add(topic);
    this.socket.subscribe(topic);
    return true;
  }

  /** Leave `topic`. @returns `false` when not subscribed. */
  unsubscribe(topic: string): boolean {
    if (!this.#topics.delete(topic)) return false;
    if (this.#closeInfo === undefined) this.socket.unsubscribe(topic);
    return true;
  }

  /** Whether this connection is subscribed to `topic`. */
  isSubscribed(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /**
   * Start the close handshake: `code` 1000 or 3000-4999 (default 1000),
   * `reason` at most 123 UTF-8 bytes. Ignored once closing.
   * @throws UsageError for a code or reason the API does not allow.
   */
  close(code = 1000, reason = ''): void {
    if (!isValidApiCloseCode(code)) throw new UsageError('FW_ERR_INVALID_CLOSE_CODE_ARG', `close code must be 1000 or 3000-4999, got ${code}`);
    if (textEncoder.encode(reason).length > 123) throw new UsageError('FW_ERR_REASON_TOO_LONG', 'close reason must be at most 123 UTF-8 bytes');
    this.#closeWith(code, reason);
  }

  /** Close with 1001 Going Away (server shutdown). Ignored once closing. A reason over 123 UTF-8 bytes is cut on a character boundary. */
  goingAway(reason = 'going away'): void {
    this.#closeWith(1001, reason);
  }

  /** Drop the connection without a close handshake (Bun's `terminate()`); reported as 1006. */
  terminate(): void {
    if (this.#closeInfo !== undefined) return;
    this.#finish({ code: 1006, reason: '', wasClean: false });
    try {
      this.socket.terminate();
    } catch {
      // already gone
    }
  }

  /** Add `listener` for `event`. */
  on<K extends keyof BunServeSocketEvents>(event: K, listener: BunServeSocketEvents[K]): this {
    return this.#add(event, listener, false);
  }

  /** Add `listener` for the next `event` only. */
  once<K extends keyof BunServeSocketEvents>(event: K, listener: BunServeSocketEvents[K]): this {
    return this.#add(event, listener, true);
  }

  /** Remove `listener` from `event`. */
  off<K extends keyof BunServeSocketEvents>(event: K, listener: BunServeSocketEvents[K]): this {
    const list = this.#listeners.get(event);
    const i = list?.findIndex((entry) => entry.fn === listener) ?? -1;
    if (i >= 0) list!.splice(i, 1);
    return this;
  }

  /** Number of listeners for `event`. */
  listenerCount(event: keyof BunServeSocketEvents): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Messages as an async iterator; ends after the socket closed and held messages were taken. Reading is paused while messages wait here. */
  [Symbol.asyncIterator](): AsyncIterableIterator<SessionMessage, undefined> {
    const next = (): Promise<IteratorResult<SessionMessage, undefined>> => {
      const held = this.#held.shift();
      if (held !== undefined) {
        if (this.#held.length === 0) this.#resume();
        return Promise.resolve({ done: false, value: held.data });
      }
      if (this.#closeInfo !== undefined) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => this.#waiters.push(resolve));
    };
    const iterator: AsyncIterableIterator<SessionMessage, undefined> = {
      next,
      return: () => Promise.resolve({ done: true, value: undefined }),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** @internal Bun's `message` handler. */
  onMessage(raw: string | Uint8Array): void {
    const isBinary = typeof raw !== 'string';
    this.#messagesReceived++;
    this.#bytesReceived += isBinary ? raw.byteLength : Buffer.byteLength(raw);
    const data: SessionMessage = !isBinary ? raw : this.binaryType === 'arraybuffer' ? copyBuffer(raw) : raw;
    if (this.#blocked || this.#held.length > 0) {
      this.#hold(data, isBinary);
      return;
    }
    this.#deliver(data, isBinary);
  }

  /** @internal Bun's `drain` handler. */
  onDrain(): void {
    if (this.socket.getBufferedAmount() < this.#options.highWaterMark) this.#emit('drain', []);
  }

  /** @internal Bun's `ping` / `pong` handlers. */
  onControl(kind: 'ping' | 'pong', data: Uint8Array): void {
    this.#emit(kind, [data]);
  }

  /** @internal Bun's `close` handler. */
  onClose(code: number, reason: string): void {
    // Bun sent 1009 (too big) or 1007 (bad UTF-8) to the peer and reports 1006 here: report what the peer got.
    const sent = code === 1006 ? BUN_PROTOCOL_CLOSES.get(reason) : undefined;
    if (sent !== undefined) {
      this.#emit('error', [new Error(`Bun closed the connection: ${sent.what}`)]);
      this.#finish({ code: sent.code, reason, wasClean: false });
      return;
    }
    if (code === 0 || code === 1006) this.#finish({ code: 1006, reason, wasClean: false });
    else this.#finish({ code, reason, wasClean: true });
  }

  #deliver(data: SessionMessage, isBinary: boolean): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter({ done: false, value: data });
      return;
    }
    if (this.listenerCount('message') === 0) {
      this.#hold(data, isBinary);
      return;
    }
    const pending = this.#emit('message', [data, isBinary]);
    if (pending.length > 0) {
      // Backpressure: a listener is still working on this message (e.g. waiting for drain).
      this.#blocked = true;
      this.#pause();
      void Promise.allSettled(pending).then(() => {
        this.#blocked = false;
        this.#flushHeld();
      });
    }
  }

  #hold(data: SessionMessage, isBinary: boolean): void {
    this.#held.push({ data, isBinary });
    this.#pause();
  }

  #flushHeld(): void {
    while (!this.#blocked && this.#held.length > 0 && (this.listenerCount('message') > 0 || this.#waiters.length > 0)) {
      const held = this.#held.shift()!;
      this.#deliver(held.data, held.isBinary);
    }
    if (!this.#blocked && this.#held.length === 0) this.#resume();
  }

  #pause(): void {
    if (this.#closeInfo === undefined && !this.socket.isPaused) this.socket.pause();
  }

  #resume(): void {
    if (this.#closeInfo === undefined && this.socket.isPaused) this.socket.resume();
  }

  #control(data: Uint8Array | string, kind: 'ping' | 'pong'): void {
    if (this.readyState !== 1) throw new UsageError('FW_ERR_CLOSED', 'the WebSocket is not open');
    const bytes = typeof data === 'string' ? textEncoder.encode(data) : data;
    if (bytes.length > 125) throw new UsageError('FW_ERR_INVALID_ARGUMENT', `a ${kind} payload is at most 125 bytes`);
    if (kind === 'ping') this.socket.ping(bytes);
    else this.socket.pong(bytes);
  }

  #closeWith(code: number, reason: string): void {
    if (this.#closeInfo !== undefined || this.#closing) return;
    this.#closing = true;
    try {
      this.socket.close(code, truncateCloseReason(reason));
    } catch {
      // Bun refused (already closing); its close event follows anyway
    }
    if (this.#closeInfo === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.terminate();
      }, this.#options.closeTimeout);
    }
  }

  #finish(info: CloseInfo): void {
    if (this.#closeInfo !== undefined) return;
    this.#closeInfo = info;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#topics.clear();
    for (const waiter of this.#waiters.splice(0)) waiter({ done: true, value: undefined });
    this.#resolveClosed(info);
    this.#emit('close', [info]);
  }

  #add(event: keyof BunServeSocketEvents, fn: (...args: never[]) => unknown, once: boolean): this {
    let list = this.#listeners.get(event);
    if (list === undefined) this.#listeners.set(event, (list = []));
    list.push({ fn, once });
    // Messages that arrived before the first listener go to it, in order.
    if (event === 'message' && this.#held.length > 0) queueMicrotask(() => this.#flushHeld());
    return this;
  }

  /** Call the listeners of `event`; returns the promises they returned (for backpressure). */
  #emit<K extends keyof BunServeSocketEvents>(event: K, args: Parameters<BunServeSocketEvents[K]>): Promise<unknown>[] {
    const pending: Promise<unknown>[] = [];
    const list = this.#listeners.get(event);
    if (list === undefined) return pending;
    for (const entry of list.slice()) {
      if (entry.once) list.splice(list.indexOf(entry), 1);
      try {
        const result = (entry.fn as (...a: unknown[]) => unknown)(...args);
        if (result instanceof Promise) pending.push(result.catch((error: unknown) => this.#listenerError(error, event)));
      } catch (error) {
        this.#listenerError(error, event);
      }
    }
    return pending;
  }

  #listenerError(error: unknown, event: string): void {
    const hook = this.#options.onListenerError;
    if (hook !== undefined) hook(error, event);
    else void Promise.reject(error);
  }
}

/** @throws UsageError unless `topic` is a string of 1 to 1024 characters (the codec's rule). */
export function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > MAX_TOPIC_LENGTH) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', `a topic is a string of 1 to ${MAX_TOPIC_LENGTH} characters`);
  }
}

/** A binary message as its own `ArrayBuffer` (Bun's bytes may be a view on a larger buffer). */
function copyBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.byteLength === bytes.byteLength && bytes.byteOffset === 0
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}
