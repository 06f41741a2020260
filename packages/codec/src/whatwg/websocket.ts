/**
 * The WHATWG `WebSocket` interface (https://websockets.spec.whatwg.org/)
 * over a framewire {@link Session}: the browser's class, on the client
 * (through an adapter's connect) and over an accepted server connection.
 *
 * @module
 */
import { ProtocolError } from '../protocol/errors.js';
import { UNMASKED_JOIN_LIMIT } from '../protocol/frame.js';
import { Session } from '../session/session.js';
import type { AcceptedSource, WebSocketConnector } from './connector.js';
import { CloseEventClass, domException, messageEvent } from './dom.js';
import { closeArguments, utf8Length, webSocketProtocols, webSocketUrl } from './websocket-url.js';

/** Decodes the bytes of a raw-text session's text messages (already validated; a BOM is content). */
const rawTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The values of {@link WebSocket.binaryType}. */
export type WebSocketBinaryType = 'blob' | 'arraybuffer';
/** What {@link WebSocket.send} takes. */
export type WebSocketData = string | ArrayBuffer | ArrayBufferView | Blob;

type HandlerName = 'open' | 'message' | 'error' | 'close';
type Handler = ((this: WebSocket, event: Event) => unknown) | null;

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * The browser's `WebSocket`, as the WHATWG standard defines it: an
 * `EventTarget` firing `open`, `message`, `error` and `close`, with the
 * `on…` attributes, `readyState`, `bufferedAmount`, `binaryType` (`'blob'`
 * by default, or `'arraybuffer'`), `send` of strings, ArrayBuffers, views
 * and Blobs, and the standard's exceptions as `DOMException`s.
 *
 * Users construct it through their adapter (`new WebSocket(url, protocols)`
 * from `@framewire/node-adapter`, `bun-adapter` or `deno-adapter`); the
 * third argument is how an adapter binds its connect. On a server, wrap an
 * accepted session with {@link toWebSocket}.
 *
 * Differences from a browser, by design: no cookies or `Origin` are sent
 * (there is no document), and a relative URL is a `SyntaxError` (no base URL).
 */
export class WebSocket extends EventTarget {
  /** `readyState` before the opening handshake finished: 0. */
  static readonly CONNECTING = CONNECTING;
  /** `readyState` while messages flow: 1. */
  static readonly OPEN = OPEN;
  /** `readyState` once either side started the closing handshake: 2. */
  static readonly CLOSING = CLOSING;
  /** `readyState` after the connection closed (or never opened): 3. */
  static readonly CLOSED = CLOSED;
  /** 0, as {@link WebSocket.CONNECTING}. */
  readonly CONNECTING = CONNECTING;
  /** 1, as {@link WebSocket.OPEN}. */
  readonly OPEN = OPEN;
  /** 2, as {@link WebSocket.CLOSING}. */
  readonly CLOSING = CLOSING;
  /** 3, as {@link WebSocket.CLOSED}. */
  readonly CLOSED = CLOSED;

  readonly #url: string;
  readonly #origin: string;
  #state: number = CONNECTING;
  #session: Session | undefined;
  #abort: AbortController | undefined;
  #binaryType: WebSocketBinaryType = 'blob';
  #protocol = '';
  #extensions = '';
  /** The connection was failed (RFC 6455 §7.1.7): an `error` event goes before `close`. */
  #failed = false;
  #closeFired = false;
  /** Application bytes handed to the session since its buffer was last empty. */
  #sentBytes = 0;
  /** Bytes of Blobs being read, and of data sent after the closing handshake started (never sent). */
  #heldBytes = 0;
  /** Sends waiting behind a Blob read, so the order of `send` calls is kept. */
  #queue: Promise<void> | undefined;
  #queued = 0;
  readonly #handlers = new Map<HandlerName, { handler: Handler; listener: (event: Event) => void }>();
  /**
   * `message` listeners added and not removed, by (listener, capture). A
   * `once` or signal-removed listener stays counted: the count may be too
   * high (an event built for nobody), never too low.
   */
  readonly #messageListeners: { listener: unknown; capture: boolean }[] = [];
  /** Sends may skip the caller's copy: the session frames small payloads into a fresh buffer at once. */
  #framesAtOnce = false;

  /**
   * @param url `ws:`, `wss:`, `http:` or `https:` URL without a fragment.
   * @param protocols subprotocols to offer (tokens, none twice).
   * @param source how to connect (an adapter's {@link WebSocketConnector}),
   *   or an accepted session to wrap (see {@link toWebSocket}).
   * @throws DOMException `SyntaxError` for a bad URL or subprotocol list.
   */
  constructor(url: string | URL, protocols: string | Iterable<string> | undefined, source: WebSocketConnector | AcceptedSource) {
    super();
    if (typeof source !== 'function') {
      this.#url = source.url ?? String(url);
      this.#origin = originOf(this.#url);
      this.#adopt(source.session);
      return;
    }
    const record = webSocketUrl(url);
    const offered = webSocketProtocols(protocols);
    this.#url = record.href;
    this.#origin = record.origin;
    const abort = (this.#abort = new AbortController());
    // The standard establishes the connection in parallel: never inside the constructor.
    void Promise.resolve()
      .then(() => source(record.href, { protocols: offered, signal: abort.signal }))
      .then(
        (session) => this.#opened(session),
        () => this.#closedNow({ code: 1006, reason: '', wasClean: false }, true),
      );
  }

  /** The URL, after http(s)→ws(s) mapping. */
  get url(): string {
    return this.#url;
  }

  /** 0 CONNECTING, 1 OPEN, 2 CLOSING (either side started the closing handshake), 3 CLOSED. */
  get readyState(): number {
    if (this.#state === OPEN && this.#session !== undefined && this.#session.readyState !== OPEN) return CLOSING;
    return this.#state;
  }

  /** The subprotocol the server selected, '' when none or before `open`. */
  get protocol(): string {
    return this.#protocol;
  }

  /** The extensions the server accepted (`Sec-WebSocket-Extensions`), '' when none or before `open`. */
  get extensions(): string {
    return this.#extensions;
  }

  /**
   * Bytes of application data passed to `send()` and not yet transmitted
   * (UTF-8 text and binary, without framing). As the standard says, it keeps
   * growing for data sent after the closing handshake started.
   */
  get bufferedAmount(): number {
    const session = this.#session;
    let inSession = 0;
    if (session !== undefined && this.#sentBytes > 0) {
      const wire = session.bufferedAmount;
      if (wire === 0) this.#sentBytes = 0;
      inSession = Math.min(this.#sentBytes, wire);
    }
    return this.#heldBytes + inSession;
  }

  /** How binary messages are delivered: `'blob'` (default) or `'arraybuffer'`. Other values are ignored (WebIDL enum). */
  get binaryType(): WebSocketBinaryType {
    return this.#binaryType;
  }
  set binaryType(value: WebSocketBinaryType) {
    if (value === 'blob' || value === 'arraybuffer') this.#binaryType = value;
  }

  /** Event handler attribute for `open`. */
  get onopen(): Handler {
    return this.#handler('open');
  }
  set onopen(handler: Handler) {
    this.#setHandler('open', handler);
  }
  /** Event handler attribute for `message` (a `MessageEvent`). */
  get onmessage(): Handler {
    return this.#handler('message');
  }
  set onmessage(handler: Handler) {
    this.#setHandler('message', handler);
  }
  /** Event handler attribute for `error`. */
  get onerror(): Handler {
    return this.#handler('error');
  }
  set onerror(handler: Handler) {
    this.#setHandler('error', handler);
  }
  /** Event handler attribute for `close` (a `CloseEvent`). */
  get onclose(): Handler {
    return this.#handler('close');
  }
  set onclose(handler: Handler) {
    this.#setHandler('close', handler);
  }

  /** `EventTarget.addEventListener`; also notes `message` listeners so no event is built when there are none. */
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void {
    super.addEventListener(type, listener, options);
    if (type !== 'message' || listener === null || listener === undefined) return;
    const capture = typeof options === 'boolean' ? options : options?.capture === true;
    if (!this.#messageListeners.some((entry) => entry.listener === listener && entry.capture === capture)) this.#messageListeners.push({ listener, capture });
  }

  /** `EventTarget.removeEventListener` (see {@link WebSocket.addEventListener}). */
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void {
    super.removeEventListener(type, listener, options);
    // Node 20's EventTarget reads `options.capture` here, so a boolean `true` removes nothing there:
    // keep the entry (a count too high is harmless, one too low would drop messages).
    if (type !== 'message' || options === true) return;
    const capture = typeof options === 'boolean' ? options : options?.capture === true;
    const index = this.#messageListeners.findIndex((entry) => entry.listener === listener && entry.capture === capture);
    if (index !== -1) this.#messageListeners.splice(index, 1);
  }

  /**
   * Send a message: a string as text, anything else as binary (a Blob is
   * read first; later sends wait for it so the order holds). The data is
   * copied: changing it afterwards has no effect.
   *
   * @throws DOMException `InvalidStateError` while CONNECTING.
   */
  send(data: WebSocketData): void {
    if (this.#state === CONNECTING) throw domException('InvalidStateError', 'Still in CONNECTING state');
    const size = sizeOf(data);
    if (!this.#isOpen()) {
      // The standard: the data is not sent, but bufferedAmount grows.
      this.#heldBytes += size;
      return;
    }
    if (isBlob(data)) {
      // A Blob this class made from a received message: its bytes are known (Blobs are immutable),
      // so it needs no asynchronous read, and goes out now when nothing waits ahead of it.
      const known = receivedBlobBytes.get(data);
      if (known !== undefined && this.#queued === 0) {
        this.#transmit(known, size);
        return;
      }
      this.#heldBytes += size;
      this.#enqueue(async () => {
        const bytes = known ?? new Uint8Array(await data.arrayBuffer());
        this.#heldBytes -= size;
        this.#transmit(bytes, size);
      });
      return;
    }
    // The caller may change the bytes after send() returns, so they are copied, unless the
    // session copies them itself right now (a frame joined with its header on either role,
    // no extension in between).
    const payload = typeof data === 'string' ? data : this.#framesAtOnce && this.#queued === 0 && size <= UNMASKED_JOIN_LIMIT ? viewOf(data) : copyBytes(data);
    if (this.#queued > 0) {
      this.#heldBytes += size;
      this.#enqueue(() => {
        this.#heldBytes -= size;
        this.#transmit(payload, size);
      });
    } else this.#transmit(payload, size);
  }

  /**
   * Start the closing handshake (or abandon the connection attempt).
   *
   * @param code 1000 or 3000-4999; without one the close frame has no code
   *   (1000 when only a reason is given).
   * @param reason at most 123 UTF-8 bytes.
   * @throws DOMException `InvalidAccessError` for another code, `SyntaxError` for a longer reason.
   */
  close(code?: number, reason?: string): void {
    const checked = closeArguments(code, reason);
    const state = this.readyState;
    if (state === CLOSING || state === CLOSED) return;
    if (state === CONNECTING) {
      // Fail the connection: `error` then `close` (1006) follow.
      this.#state = CLOSING;
      this.#abort?.abort(domException('AbortError', 'WebSocket closed before the connection was established'));
      return;
    }
    this.#state = CLOSING;
    const closeCode = checked.code ?? (checked.reason !== undefined && checked.reason !== '' ? 1000 : undefined);
    this.#session?.close(closeCode, closeCode === undefined ? undefined : checked.reason);
  }

  // ---- internals --------------------------------------------------------

  #opened(session: Session): void {
    if (this.#state !== CONNECTING) {
      // close() was called while the handshake finished: drop it.
      session.terminate();
      this.#closedNow({ code: 1006, reason: '', wasClean: false }, true);
      return;
    }
    this.#adopt(session);
    this.dispatchEvent(new Event('open'));
  }

  #adopt(session: Session): void {
    this.#session = session;
    this.#state = session.readyState === CLOSED ? CLOSED : session.readyState === CLOSING ? CLOSING : OPEN;
    this.#protocol = session.protocol;
    this.#extensions = session.extensions;
    // A codec Session with no extension writes a small frame (header and payload copied into one
    // buffer) inside send(); other sessions (an extension queue, a runtime's own socket) may keep the bytes.
    this.#framesAtOnce = session instanceof Session && session.extensions === '';
    session.binaryType = 'uint8array';
    session.on('message', (data, isBinary) => this.#message(data, isBinary));
    session.on('error', (error) => {
      // RFC 6455 §7.1.7: the protocol failed the connection (bad frame, invalid UTF-8, too big...).
      // A reset or a lost socket is a connection lost (1006), not failed: Chromium fires no error for it either.
      if (error instanceof ProtocolError) this.#failed = true;
    });
    // `error` only when the connection was failed: the standard fires it "if the user agent was
    // required to fail the WebSocket connection".
    session.on('close', (info) => this.#closedNow(info, this.#failed));
  }

  #message(data: string | Uint8Array | ArrayBuffer, isBinary: boolean): void {
    // A message that arrives once the closing handshake started is dropped (standard: "If readyState is not OPEN, then return").
    // Nobody would see the event: build neither it nor its Blob or ArrayBuffer.
    if (this.#messageListeners.length === 0 || !this.#isOpen()) return;
    let value: unknown = data;
    // A session in raw text mode hands text over as validated bytes: the standard wants a string.
    if (!isBinary && typeof data !== 'string') value = rawTextDecoder.decode(data);
    else if (typeof data !== 'string') {
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
      value = this.#binaryType === 'blob' ? receivedBlob(bytes) : wholeBuffer(bytes);
    }
    this.dispatchEvent(messageEvent(value, this.#origin));
  }

  /** `readyState === OPEN`, read once (the getter also asks the session). */
  #isOpen(): boolean {
    return this.#state === OPEN && (this.#session === undefined || this.#session.readyState === OPEN);
  }

  #closedNow(info: { code: number; reason: string; wasClean: boolean }, failed: boolean): void {
    if (this.#closeFired) return;
    this.#closeFired = true;
    this.#state = CLOSED;
    if (failed) this.dispatchEvent(new Event('error'));
    this.dispatchEvent(new CloseEventClass('close', { wasClean: info.wasClean, code: info.code, reason: info.reason }));
  }

  #transmit(payload: string | Uint8Array, size: number): void {
    const session = this.#session;
    if (session === undefined || this.#state !== OPEN || session.readyState !== OPEN) {
      this.#heldBytes += size;
      return;
    }
    this.#sentBytes += size;
    if (!session.send(payload) && session.readyState !== OPEN) {
      // The session's hard buffer limit closed the connection (1008): the standard's "flagged as full",
      // which fires `error` before `close`.
      this.#failed = true;
    }
  }

  #enqueue(step: () => void | Promise<void>): void {
    this.#queued++;
    const run = async (): Promise<void> => {
      try {
        await step();
      } finally {
        this.#queued--;
      }
    };
    this.#queue = (this.#queue ?? Promise.resolve()).then(run, run);
  }

  #handler(type: HandlerName): Handler {
    return this.#handlers.get(type)?.handler ?? null;
  }

  /** HTML event handler attributes: the listener keeps its place while the handler is replaced; `null` removes it. */
  #setHandler(type: HandlerName, handler: Handler): void {
    const current = this.#handlers.get(type);
    if (typeof handler !== 'function') {
      if (current !== undefined) {
        this.removeEventListener(type, current.listener);
        this.#handlers.delete(type);
      }
      return;
    }
    if (current !== undefined) {
      current.handler = handler;
      return;
    }
    const entry = {
      handler: handler as Handler,
      listener: (event: Event): void => {
        const result = entry.handler?.call(this, event);
        if (result === false) event.preventDefault();
      },
    };
    this.#handlers.set(type, entry);
    this.addEventListener(type, entry.listener);
  }
}

/**
 * Wrap a session a server accepted in the WHATWG {@link WebSocket} class, so
 * browser-style code (`ws.onmessage = …; ws.send(…)`) runs on the server.
 * The wrapper starts OPEN (the handshake is over, so no `open` event fires);
 * `url` is what its `url` attribute reports (default '').
 *
 * @example
 * ```ts
 * server.on('connection', (session) => {
 *   const ws = toWebSocket(session);
 *   ws.binaryType = 'arraybuffer';
 *   ws.onmessage = (event) => ws.send(event.data);
 * });
 * ```
 */
export function toWebSocket(session: Session, options: { url?: string } = {}): WebSocket {
  return new WebSocket(options.url ?? '', undefined, { session, url: options.url ?? '' });
}

/**
 * Blobs up to this size made for received messages remember their bytes, so
 * echoing one (`ws.send(event.data)`) needs no asynchronous read. Larger ones
 * do not: the copy would double their memory, and the read costs little
 * beside their size.
 */
const REMEMBERED_BLOB_LIMIT = 16 * 1024;
const receivedBlobBytes = new WeakMap<Blob, Uint8Array>();

/** The `message` event's Blob for `bytes` (which may be a view into a socket chunk: the Blob copies them). */
function receivedBlob(bytes: Uint8Array): Blob {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>]);
  // A copy of our own: the Blob keeps its bytes out of reach, and the view's memory is not ours to keep.
  if (bytes.byteLength <= REMEMBERED_BLOB_LIMIT) receivedBlobBytes.set(blob, bytes.slice());
  return blob;
}

function isBlob(data: unknown): data is Blob {
  return typeof Blob === 'function' && data instanceof Blob;
}

function sizeOf(data: WebSocketData): number {
  if (typeof data === 'string') return utf8Length(data);
  if (isBlob(data)) return data.size;
  return data.byteLength;
}

function copyBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return new Uint8Array(data).slice();
}

function viewOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

function wholeBuffer(bytes: Uint8Array): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  if (whole) return bytes.buffer as ArrayBuffer;
  // A fresh ArrayBuffer filled in place: cheaper than slice().buffer, which first makes a
  // small typed array on V8's heap and then moves its bytes out when `.buffer` is read.
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}
