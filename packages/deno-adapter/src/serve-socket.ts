import {
  ServeSocketBase,
  UsageError,
  serveMessageOf,
  truncateCloseReason,
  type BinaryType,
  type CloseInfo,
  type SessionMessage,
} from '@framewire/codec/adapter';

/** Listener signatures of a {@link ServeSocket}: those of the codec's `Session`. */
export interface ServeSocketEvents {
  /** A message arrived: text as a string, binary per `binaryType`. */
  message: (data: SessionMessage, isBinary: boolean) => unknown;
  /** Never emitted on this path: Deno answers pings itself and reports no pongs. Kept for the Session's shape. */
  ping: (data: Uint8Array) => void;
  /** Never emitted on this path (see `ping`). */
  pong: (data: Uint8Array) => void;
  /** The connection is closed; emitted exactly once. */
  close: (info: CloseInfo) => void;
  /** A message over `maxPayload`, the outgoing buffer over `maxBufferedAmount`, or an error Deno reported. */
  error: (error: Error) => void;
  /** `bufferedAmount` fell below `highWaterMark` after `send()` returned `false`. */
  drain: () => void;
}

/** Options of a {@link ServeSocket}. */
export interface ServeSocketOptions {
  /** Negotiated subprotocol. */
  protocol: string;
  /** Largest message; larger ones close the connection with 1009 (checked after Deno received the whole message). */
  maxPayload: number;
  /** `send()` returns `false` once `bufferedAmount` reaches this. */
  highWaterMark: number;
  /** Past this many buffered outgoing bytes the connection is closed with 1008. Default 16 MiB. */
  maxBufferedAmount?: number | undefined;
  /**
   * Ms Deno has to finish the upgrade (the 101 written, the socket open);
   * past it the socket is reported closed (1006) and closed if it opens
   * later. Default 10000.
   */
  openTimeout?: number | undefined;
  /**
   * Ms to wait for Deno's close event once we started the close; past it
   * the socket is reported closed (1006). Deno keeps the TCP connection
   * until the peer reads our close frame or the connection dies. Default 5000.
   */
  closeTimeout?: number | undefined;
  binaryType: BinaryType;
  /** Where listener exceptions go. Default: an unhandled rejection. */
  onListenerError?: ((error: unknown, event: string) => void) | undefined;
}

/** How often `drained()` looks at Deno's `bufferedAmount` (Deno's WebSocket has no drain event). */
const DRAIN_POLL_MS = 5;
const MiB = 1024 * 1024;
/** What Deno's `idleTimeout` reports when the peer did not answer its ping. */
const DENO_PING_TIMEOUT_REASON = 'No response from ping frame.';
const textEncoder = new TextEncoder();

/**
 * A `Deno.upgradeWebSocket` socket behind the codec `Session`'s API:
 * `send`, `close`, `on('message')`, async iteration, `closed`,
 * `bufferedAmount`, `drained()`. Deno frames the bytes on this path, so what
 * it does not expose cannot be offered: `ping()`/`pong()` throw, `fin: false`
 * throws, there is no permessage-deflate and no receive backpressure (see
 * the package README's guarantees table).
 */
export class ServeSocket<Data = unknown> extends ServeSocketBase<ServeSocketEvents> {
  /** Per-connection data: what the accept hook passed as `accept({ data })` (`undefined` when none); free to change. */
  data: Data = undefined as Data;
  /** How binary messages are delivered; may be changed at any time. */
  binaryType: BinaryType;
  /** The negotiated subprotocol, '' when none. */
  readonly protocol: string;
  /** Always '' (Deno negotiates no extension). */
  readonly extensions = '';
  /** Deno's WebSocket underneath. */
  readonly socket: WebSocket;
  readonly #options: ServeSocketOptions;
  #needDrain = false;
  #drainTimer: number | undefined;
  /** A close asked for before Deno opened the socket; sent on 'open'. */
  #closeOnOpen: { code: number; reason: string } | undefined;
  /** The open deadline, then the close deadline. */
  #timer: number | undefined;

  constructor(socket: WebSocket, options: ServeSocketOptions) {
    super(options);
    this.socket = socket;
    this.#options = options;
    this.protocol = options.protocol;
    this.binaryType = options.binaryType;
    socket.binaryType = 'arraybuffer';
    // Registered before anyone else's 'open' listener, so a close asked for
    // during the upgrade goes out before the application hears of the socket.
    socket.addEventListener('open', () => this.#onOpen(), { once: true });
    socket.onmessage = (event) => this.#onMessage(event.data as string | ArrayBuffer);
    socket.onerror = (event) => {
      this.emit('error', [new Error((event as ErrorEvent).message ?? 'WebSocket error')]);
      // Deno reports an upgrade that failed as an 'error' alone, never followed by 'close'.
      if (socket.readyState === 0) this.finish({ code: 1006, reason: '', wasClean: false });
    };
    socket.onclose = (event) => this.finish(closeInfoOf(event));
    // A client gone before Deno wrote the 101 gets no event at all (Deno 2.9): the open deadline releases it.
    if (socket.readyState === 0) this.#setTimer(options.openTimeout ?? 10_000);
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  get readyState(): number {
    if (this.closeInfo !== undefined) return 3;
    return this.#closeOnOpen !== undefined ? 2 : this.socket.readyState;
  }

  /** Bytes Deno has queued and not yet written. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /**
   * Send a message: a string as text, bytes as binary (`binary` overrides).
   * Past `maxBufferedAmount` buffered bytes (a peer that does not read) the
   * connection is closed with 1008 and `false` is returned.
   * @returns `false` once `bufferedAmount` reached `highWaterMark`: wait for `drained()`.
   * @throws UsageError once closing, for `fin: false` (Deno cannot send fragments) or bytes sent as text that are not UTF-8.
   */
  send(data: string | Uint8Array | ArrayBuffer | ArrayBufferView, options: { binary?: boolean; fin?: boolean } = {}): boolean {
    if (this.readyState !== 1) throw new UsageError('FW_ERR_CLOSED', 'the WebSocket is not open');
    if (options.fin === false) throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'Deno.upgradeWebSocket cannot send fragments (fin: false)');
    this.countSent(typeof data === 'string' ? utf8ByteLength(data) : data.byteLength);
    const message = serveMessageOf(data, options.binary);
    this.socket.send(message as string | Uint8Array<ArrayBuffer>);
    const buffered = this.bufferedAmount;
    const limit = this.#options.maxBufferedAmount ?? 16 * MiB;
    if (buffered > limit) {
      // The peer is not reading while we keep sending: policy violation, as on the raw-TCP path.
      this.emit('error', [new Error(`outgoing buffer of ${buffered} bytes over maxBufferedAmount ${limit}`)]);
      this.closeWith(1008, 'outgoing buffer limit exceeded');
      return false;
    }
    if (buffered >= this.#options.highWaterMark) {
      this.#needDrain = true;
      this.#pollDrain();
      return false;
    }
    return true;
  }

  /** Not available: Deno.upgradeWebSocket has no ping API (it pings by itself with `idleTimeout`). @throws UsageError */
  ping(_data?: Uint8Array | string): void {
    throw new UsageError('FW_ERR_INVALID_STATE', 'Deno.upgradeWebSocket has no ping API; use the raw-TCP WebSocketServer for ping()');
  }

  /** Not available (see `ping`). @throws UsageError */
  pong(_data?: Uint8Array | string): void {
    throw new UsageError('FW_ERR_INVALID_STATE', 'Deno.upgradeWebSocket has no pong API; use the raw-TCP WebSocketServer for pong()');
  }

  /**
   * Close with 1001 Going Away (server shutdown). Ignored once closing. A
   * reason over 123 UTF-8 bytes is cut on a character boundary. During the
   * upgrade the close is sent as soon as Deno opens the socket.
   */
  goingAway(reason = 'going away'): void {
    this.closeWith(1001, reason);
  }

  /**
   * Deno has no abort for this socket: this starts Deno's close (1001) and
   * reports `close` 1006 at once; Deno releases the connection when its own
   * close ends.
   */
  terminate(): void {
    this.closeWith(1001, 'terminated');
    this.finish({ code: 1006, reason: '', wasClean: false });
  }

  protected closeWith(code: number, reason: string): void {
    if (this.closeInfo !== undefined || this.#closeOnOpen !== undefined || this.socket.readyState >= 2) return;
    const fitting = truncateCloseReason(reason);
    if (this.socket.readyState === 0) {
      // Deno's close() on a socket still upgrading sends nothing, and the
      // upgrade then marks it open anyway: keep the close for 'open'.
      this.#closeOnOpen = { code, reason: fitting };
      return;
    }
    try {
      this.socket.close(code, fitting);
    } catch {
      // Deno refused (already closing); the close event follows anyway
    }
    this.#setTimer(this.#options.closeTimeout ?? 5000);
  }

  #onOpen(): void {
    const pending = this.#closeOnOpen;
    if (pending === undefined && this.closeInfo === undefined) {
      this.#clearTimer();
      return;
    }
    // Asked to close during the upgrade, or opened after the open deadline (already reported closed).
    this.#closeOnOpen = undefined;
    const { code, reason } = pending ?? { code: 1001, reason: 'handshake timeout' };
    try {
      this.socket.close(code, reason);
    } catch {
      // the close event follows anyway
    }
    if (this.closeInfo === undefined) this.#setTimer(this.#options.closeTimeout ?? 5000);
  }

  #setTimer(ms: number): void {
    this.#clearTimer();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.finish({ code: 1006, reason: '', wasClean: false });
    }, ms) as unknown as number;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #onMessage(raw: string | ArrayBuffer): void {
    const isBinary = typeof raw !== 'string';
    const size = isBinary ? raw.byteLength : utf8Length(raw, this.#options.maxPayload);
    if (size > this.#options.maxPayload) {
      // RFC 6455 §7.4.1: 1009, message too big. Deno has already read it whole.
      this.emit('error', [new Error(`message of ${size} bytes over maxPayload ${this.#options.maxPayload}`)]);
      this.closeWith(1009, 'message too big');
      return;
    }
    this.countReceived(isBinary ? size : utf8ByteLength(raw));
    const data: SessionMessage = !isBinary ? raw : this.binaryType === 'arraybuffer' ? raw : new Uint8Array(raw);
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter({ done: false, value: data });
      return;
    }
    if (this.listenerCount('message') > 0) this.emit('message', [data, isBinary]);
    else this.held.push({ data, isBinary });
  }

  #pollDrain(): void {
    if (this.#drainTimer !== undefined) return;
    this.#drainTimer = setInterval(() => {
      if (this.closeInfo === undefined && this.bufferedAmount >= this.#options.highWaterMark) return;
      clearInterval(this.#drainTimer);
      this.#drainTimer = undefined;
      if (this.#needDrain && this.closeInfo === undefined) {
        this.#needDrain = false;
        this.emit('drain', []);
      }
    }, DRAIN_POLL_MS) as unknown as number;
  }

  protected override drainWanted(): void {
    this.#needDrain = true;
    this.#pollDrain();
  }

  protected flushHeld(): void {
    while (this.listenerCount('message') > 0 && this.held.length > 0) {
      const held = this.held.shift()!;
      this.emit('message', [held.data, held.isBinary]);
    }
  }

  protected released(): void {
    this.#clearTimer();
    if (this.#drainTimer !== undefined) clearInterval(this.#drainTimer);
    this.#drainTimer = undefined;
  }
}

/**
 * The close outcome of Deno's close event: Deno reports code 0 when it
 * dropped the connection without a close frame (e.g. a frame over its 64 MiB
 * cap), and 1001 "No response from ping frame." when its heartbeat
 * (`idleTimeout`) found the peer dead; both are 1006 on the raw-TCP path.
 */
function closeInfoOf(event: CloseEvent): CloseInfo {
  if (event.code === 0) return { code: 1006, reason: event.reason, wasClean: false };
  if (event.code === 1001 && !event.wasClean && event.reason === DENO_PING_TIMEOUT_REASON) {
    return { code: 1006, reason: event.reason, wasClean: false };
  }
  return { code: event.code, reason: event.reason, wasClean: event.wasClean };
}

/**
 * A UTF-8 length of `text` good enough to compare with `limit`: exact when
 * the answer is close to the limit, a bound on the right side of it
 * otherwise, so a huge string is not copied to be measured.
 */
function utf8Length(text: string, limit: number): number {
  if (text.length > limit) return text.length; // every UTF-16 unit is at least one UTF-8 byte
  if (text.length * 3 <= limit) return text.length; // at most 3 bytes per unit: surely within the limit
  return textEncoder.encode(text).length;
}

/** The exact UTF-8 length of `text`, for the byte counters (no copy: a lone surrogate counts as U+FFFD's 3 bytes). */
function utf8ByteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a pair: 2 units, 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}
