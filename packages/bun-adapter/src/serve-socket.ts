import type { ServerWebSocket } from 'bun';
import {
  MAX_TOPIC_LENGTH,
  ServeSocketBase,
  UsageError,
  serveMessageOf,
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

/**
 * A `Bun.serve` WebSocket (`ServerWebSocket`) behind the codec `Session`'s
 * API: `send`, `close`, `ping`/`pong`, `on('message')`, async iteration,
 * `closed`, `bufferedAmount`, `drained()`, topics. Bun frames the bytes on
 * this path, so what it does not expose cannot be offered: `fin: false`
 * throws (see the package README's guarantees table).
 */
export class BunServeSocket<Data = unknown> extends ServeSocketBase<BunServeSocketEvents> {
  /** Per-connection data: what the accept hook passed as `accept({ data })` (`undefined` when none); free to change. */
  data: Data = undefined as Data;
  /** How binary messages are delivered; may be changed at any time. */
  binaryType: BinaryType;
  /** The negotiated subprotocol, '' when none. */
  readonly protocol: string;
  /** The negotiated extensions ('permessage-deflate…' when on), as Bun reports them. */
  readonly extensions: string;
  /** Bun's socket underneath. */
  readonly socket: ServerWebSocket<BunServeSlot>;
  readonly #options: BunServeSocketOptions;
  readonly #topics = new Set<string>();
  /** A message listener's promise is pending: deliver nothing, Bun paused. */
  #blocked = false;
  #closing = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** @internal Made by `BunServeUpgrader` in Bun's `open` handler. */
  constructor(socket: ServerWebSocket<BunServeSlot>, options: BunServeSocketOptions, extensions = '') {
    super(options);
    this.socket = socket;
    this.#options = options;
    this.protocol = options.protocol;
    this.extensions = extensions;
    this.binaryType = options.binaryType;
    socket.binaryType = 'uint8array';
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  get readyState(): number {
    if (this.closeInfo !== undefined) return 3;
    return this.#closing ? 2 : 1;
  }

  /** Bytes Bun has queued and not yet written. */
  get bufferedAmount(): number {
    return this.closeInfo === undefined ? this.socket.getBufferedAmount() : 0;
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
    const message = serveMessageOf(data, options.binary);
    const empty = typeof data === 'string' ? data.length === 0 : data.byteLength === 0;
    const status = typeof message === 'string' ? this.socket.sendText(message, compress) : this.socket.sendBinary(message, compress);
    // Bun answers the payload bytes it took (-1 when it queued them under backpressure: count the input then).
    this.countSent(status > 0 ? status : status === -1 ? (typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength) : 0);
    const buffered = this.socket.getBufferedAmount();
    // 0 for a non-empty message: Bun dropped it (its backpressureLimit, set to ours); or past our limit after queueing it.
    // (Bun returns the payload bytes written, so an empty message is 0 too.)
    if ((status === 0 && !empty) || buffered > this.#options.maxBufferedAmount) {
      this.emit('error', [new Error(`outgoing buffer of ${buffered} bytes over maxBufferedAmount ${this.#options.maxBufferedAmount}`)]);
      this.closeWith(1008, 'outgoing buffer limit exceeded');
      return false;
    }
    return buffered < this.#options.highWaterMark;
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
    if (this.closeInfo !== undefined || this.#topics.has(topic)) return false;
    this.#topics.add(topic);
    this.socket.subscribe(topic);
    return true;
  }

  /** Leave `topic`. @returns `false` when not subscribed. */
  unsubscribe(topic: string): boolean {
    if (!this.#topics.delete(topic)) return false;
    if (this.closeInfo === undefined) this.socket.unsubscribe(topic);
    return true;
  }

  /** Whether this connection is subscribed to `topic`. */
  isSubscribed(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** Close with 1001 Going Away (server shutdown). Ignored once closing. A reason over 123 UTF-8 bytes is cut on a character boundary. */
  goingAway(reason = 'going away'): void {
    this.closeWith(1001, reason);
  }

  /** Drop the connection without a close handshake (Bun's `terminate()`); reported as 1006. */
  terminate(): void {
    if (this.closeInfo !== undefined) return;
    this.finish({ code: 1006, reason: '', wasClean: false });
    try {
      this.socket.terminate();
    } catch {
      // already gone
    }
  }

  /** @internal Bun's `message` handler. */
  onMessage(raw: string | Uint8Array): void {
    const isBinary = typeof raw !== 'string';
    this.countReceived(isBinary ? raw.byteLength : Buffer.byteLength(raw));
    const data: SessionMessage = !isBinary ? raw : this.binaryType === 'arraybuffer' ? copyBuffer(raw) : raw;
    if (this.#blocked || this.held.length > 0) {
      this.#hold(data, isBinary);
      return;
    }
    this.#deliver(data, isBinary);
  }

  /** @internal Bun's `drain` handler. */
  onDrain(): void {
    if (this.socket.getBufferedAmount() < this.#options.highWaterMark) this.emit('drain', []);
  }

  /** @internal Bun's `ping` / `pong` handlers. */
  onControl(kind: 'ping' | 'pong', data: Uint8Array): void {
    this.emit(kind, [data]);
  }

  /** @internal Bun's `close` handler. */
  onClose(code: number, reason: string): void {
    // Bun sent 1009 (too big) or 1007 (bad UTF-8) to the peer and reports 1006 here: report what the peer got.
    const sent = code === 1006 ? BUN_PROTOCOL_CLOSES.get(reason) : undefined;
    if (sent !== undefined) {
      this.emit('error', [new Error(`Bun closed the connection: ${sent.what}`)]);
      this.finish({ code: sent.code, reason, wasClean: false });
      return;
    }
    if (code === 0 || code === 1006) this.finish({ code: 1006, reason, wasClean: false });
    else this.finish({ code, reason, wasClean: true });
  }

  #deliver(data: SessionMessage, isBinary: boolean): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter({ done: false, value: data });
      return;
    }
    if (this.listenerCount('message') === 0) {
      this.#hold(data, isBinary);
      return;
    }
    const pending = this.emit('message', [data, isBinary]);
    if (pending.length > 0) {
      // Backpressure: a listener is still working on this message (e.g. waiting for drain).
      this.#blocked = true;
      this.#pause();
      void Promise.allSettled(pending).then(() => {
        this.#blocked = false;
        this.flushHeld();
      });
    }
  }

  #hold(data: SessionMessage, isBinary: boolean): void {
    this.held.push({ data, isBinary });
    this.#pause();
  }

  protected flushHeld(): void {
    while (!this.#blocked && this.held.length > 0 && (this.listenerCount('message') > 0 || this.waiters.length > 0)) {
      const held = this.held.shift()!;
      this.#deliver(held.data, held.isBinary);
    }
    if (!this.#blocked && this.held.length === 0) this.#resume();
  }

  #pause(): void {
    if (this.closeInfo === undefined && !this.socket.isPaused) this.socket.pause();
  }

  #resume(): void {
    if (this.closeInfo === undefined && this.socket.isPaused) this.socket.resume();
  }

  #control(data: Uint8Array | string, kind: 'ping' | 'pong'): void {
    if (this.readyState !== 1) throw new UsageError('FW_ERR_CLOSED', 'the WebSocket is not open');
    const bytes = typeof data === 'string' ? textEncoder.encode(data) : data;
    if (bytes.length > 125) throw new UsageError('FW_ERR_INVALID_ARGUMENT', `a ${kind} payload is at most 125 bytes`);
    if (kind === 'ping') this.socket.ping(bytes);
    else this.socket.pong(bytes);
  }

  protected closeWith(code: number, reason: string): void {
    if (this.closeInfo !== undefined || this.#closing) return;
    this.#closing = true;
    try {
      this.socket.close(code, truncateCloseReason(reason));
    } catch {
      // Bun refused (already closing); its close event follows anyway
    }
    if (this.closeInfo === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.terminate();
      }, this.#options.closeTimeout);
    }
  }

  protected override heldTaken(): void {
    this.#resume();
  }

  protected released(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#topics.clear();
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
