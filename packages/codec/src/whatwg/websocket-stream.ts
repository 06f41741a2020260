/**
 * `WebSocketStream` (WICG explainer, https://github.com/ricea/websocketstream-explainer)
 * over a framewire {@link Session}: a WebSocket as a `ReadableStream` of
 * messages and a `WritableStream` of messages, with backpressure both ways.
 *
 * @module
 */
import { SINGLE_BUFFER_FRAME_LIMIT } from '../protocol/frame.js';
import { Session as SessionClass, type Session } from '../session/session.js';
import type { AcceptedSource, WebSocketConnector } from './connector.js';
import { domException } from './dom.js';
import { closeArguments, webSocketProtocols, webSocketUrl } from './websocket-url.js';

/** Decodes the bytes of a raw-text session's text messages (already validated; a BOM is content). */
const rawTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** A message read from {@link WebSocketStreamConnection.readable}: text as a string, binary as a Uint8Array. */
export type WebSocketStreamChunk = string | Uint8Array;
/** What {@link WebSocketStreamConnection.writable} takes: bytes are sent as binary, anything else as its string, as text. */
export type WebSocketStreamWritable = string | ArrayBuffer | ArrayBufferView | { toString(): string };

/** What {@link WebSocketStream.opened} resolves with. */
export interface WebSocketStreamConnection {
  /** Received messages. Not reading is the receive window: the session pauses the transport. */
  readonly readable: ReadableStream<WebSocketStreamChunk>;
  /** Messages to send. `write()` resolves once the message is handed off and the send buffer is below its high-water mark. */
  readonly writable: WritableStream<WebSocketStreamWritable>;
  /** The negotiated extensions, '' when none. */
  readonly extensions: string;
  /** The selected subprotocol, '' when none. */
  readonly protocol: string;
}

/** What {@link WebSocketStream.closed} resolves with, and what {@link WebSocketStream.close} takes. */
export interface WebSocketCloseInfo {
  /** The close code (1000 or 3000-4999 when closing). */
  closeCode?: number;
  /** The close reason (at most 123 UTF-8 bytes when closing). */
  reason?: string;
}

/** Options of `new WebSocketStream(url, options)`. */
export interface WebSocketStreamOptions {
  /** Subprotocols to offer. */
  protocols?: string | Iterable<string>;
  /** Abort the opening handshake; once open it has no effect. */
  signal?: AbortSignal;
}

/**
 * The error of a `WebSocketStream` (the standard's `WebSocketError`, a
 * `DOMException` in browsers): `opened` rejects with one (`closeCode` null)
 * when the handshake fails, `closed` and the readable reject with one
 * (`closeCode` 1006) after an end without a closing handshake. Passed to
 * `writable.abort()` or `readable.cancel()`, its code and reason close the
 * connection.
 */
export class WebSocketError extends Error {
  override readonly name = 'WebSocketError';
  /** The close code (1006 for an abrupt end), or null when there is none. */
  readonly closeCode: number | null;
  /** The close reason, '' when none. */
  readonly reason: string;
  constructor(message = '', init: { closeCode?: number; reason?: string } = {}) {
    super(message);
    this.closeCode = init.closeCode ?? null;
    this.reason = init.reason ?? '';
  }
}

/**
 * A WebSocket as a pair of Web Streams. Construct it through an adapter
 * (`new WebSocketStream(url, { protocols, signal })`), or wrap an accepted
 * server session with {@link toWebSocketStream}.
 *
 * - `opened` resolves with `{ readable, writable, extensions, protocol }`,
 *   or rejects when the handshake fails.
 * - `closed` resolves with `{ closeCode, reason }` after a closing
 *   handshake, and rejects with a {@link WebSocketError} after an abrupt end.
 * - `close({ closeCode, reason })` starts the closing handshake.
 *
 * Backpressure both ways: the readable is pulled from the session's
 * receive queue, which pauses the transport when the reader falls behind;
 * a write resolves once the session's send buffer is below its high-water
 * mark, so `writer.ready` waits for a slow peer.
 */
export class WebSocketStream {
  /** The URL, after http(s)→ws(s) mapping. */
  readonly url: string;
  /** Resolves once the connection is open. */
  readonly opened: Promise<WebSocketStreamConnection>;
  /** Resolves after a closing handshake; rejects after an abrupt end or a failed open. */
  readonly closed: Promise<WebSocketCloseInfo>;

  #session: Session | undefined;
  #abort: AbortController | undefined;
  #pendingClose: { code: number | undefined; reason: string | undefined } | undefined;

  /**
   * @param url `ws:`, `wss:`, `http:` or `https:` URL without a fragment.
   * @param options `protocols` to offer and a `signal` to abort the handshake.
   * @param source an adapter's {@link WebSocketConnector}, or an accepted session (see {@link toWebSocketStream}).
   * @throws DOMException `SyntaxError` for a bad URL or subprotocol list.
   */
  constructor(url: string | URL, options: WebSocketStreamOptions | undefined, source: WebSocketConnector | AcceptedSource) {
    let session: Promise<Session>;
    if (typeof source !== 'function') {
      this.url = source.url ?? String(url);
      session = Promise.resolve(source.session);
    } else {
      const record = webSocketUrl(url);
      const protocols = webSocketProtocols(options?.protocols);
      this.url = record.href;
      const abort = (this.#abort = new AbortController());
      const signal = options?.signal;
      if (signal?.aborted === true) abort.abort(signal.reason);
      else signal?.addEventListener('abort', () => abort.abort(signal.reason), { once: true });
      session = abort.signal.aborted
        ? Promise.reject(abortReason(abort.signal))
        : Promise.resolve().then(() => source(record.href, { protocols, signal: abort.signal }));
      session = session.catch((error: unknown) => {
        throw abort.signal.aborted ? abortReason(abort.signal) : new WebSocketError(`WebSocket connection to ${record.href} failed: ${String((error as Error)?.message ?? error)}`);
      });
    }
    this.opened = session.then((s) => this.#open(s));
    this.closed = session.then(
      async (s) => {
        const info = await s.closed;
        if (!info.wasClean) throw new WebSocketError('The WebSocket connection closed without a closing handshake', { closeCode: info.code, reason: info.reason });
        return { closeCode: info.code, reason: info.reason };
      },
      (error: unknown) => {
        // A connection that never opened is closed with 1006 (RFC 6455 §7.1.5); an abort stays an abort.
        throw error instanceof WebSocketError ? new WebSocketError(error.message, { closeCode: 1006 }) : error;
      },
    );
    // The standard marks both promises as handled: an unobserved failure is not an unhandled rejection.
    this.opened.catch(() => {});
    this.closed.catch(() => {});
  }

  /**
   * Start the closing handshake; before the connection is open, abandon the
   * attempt (`opened` and `closed` reject).
   * @throws DOMException `InvalidAccessError` for a code other than 1000 or 3000-4999, `SyntaxError` for a reason over 123 bytes.
   */
  close(info: WebSocketCloseInfo = {}): void {
    const { code, reason } = closeArguments(info.closeCode, info.reason);
    const session = this.#session;
    if (session === undefined) {
      this.#pendingClose = { code, reason };
      this.#abort?.abort(domException('AbortError', 'WebSocketStream closed before the connection was established'));
      return;
    }
    closeSession(session, code, reason);
  }

  #open(session: Session): WebSocketStreamConnection {
    this.#session = session;
    const pending = this.#pendingClose;
    if (pending !== undefined) closeSession(session, pending.code, pending.reason);
    session.binaryType = 'uint8array';
    return {
      readable: readableOf(session),
      writable: writableOf(session),
      extensions: session.extensions,
      protocol: session.protocol,
    };
  }
}

/**
 * Wrap a session a server accepted as a {@link WebSocketStream}: `opened`
 * resolves at once with the same `{ readable, writable }` pair a client gets.
 *
 * @example
 * ```ts
 * server.on('connection', async (session) => {
 *   const { readable, writable } = await toWebSocketStream(session).opened;
 *   await readable.pipeTo(writable); // echo, with backpressure both ways
 * });
 * ```
 */
export function toWebSocketStream(session: Session, options: { url?: string } = {}): WebSocketStream {
  return new WebSocketStream(options.url ?? '', undefined, { session, url: options.url ?? '' });
}

function closeSession(session: Session, code: number | undefined, reason: string | undefined): void {
  const closeCode = code ?? (reason !== undefined && reason !== '' ? 1000 : undefined);
  session.close(closeCode, closeCode === undefined ? undefined : reason);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? domException('AbortError', 'The operation was aborted');
}

/** Messages the readable queues before the session is asked to hold back. */
const READABLE_HIGH_WATER = 16;

/**
 * The session's messages as a readable, fed by its `message` listener. Up to
 * {@link READABLE_HIGH_WATER} messages are queued without cost; past that
 * the listener returns a promise that settles when the reader takes more, and
 * each such message holds a slot of the session's receive window, so a
 * reader that stops pauses the transport (the session's
 * `receiveHighWaterMessages`/`Bytes` bound what is queued).
 */
function readableOf(session: Session): ReadableStream<WebSocketStreamChunk> {
  let controller!: ReadableStreamDefaultController<WebSocketStreamChunk>;
  let done = false;
  // Every message queued past the high-water mark since the last pull holds its slot until the
  // next pull: one promise serves them all (a burst need not allocate one per message).
  let held: { promise: Promise<void>; resolve: () => void } | undefined;
  const release = (): void => {
    const waiting = held;
    held = undefined;
    waiting?.resolve();
  };
  const onMessage = (data: unknown, isBinary: boolean): Promise<void> | undefined => {
    if (done) return undefined;
    const bytes = typeof data === 'string' ? undefined : data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBuffer);
    // A session in raw text mode hands text over as validated bytes: the stream yields strings for text.
    controller.enqueue(bytes === undefined ? (data as string) : isBinary ? bytes : rawTextDecoder.decode(bytes));
    if ((controller.desiredSize ?? 0) > 0) return undefined;
    if (held === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      held = { promise, resolve };
    }
    return held.promise;
  };
  const readable = new ReadableStream<WebSocketStreamChunk>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        release();
      },
      cancel(reason) {
        done = true;
        session.off('message', onMessage);
        release();
        const { code, why } = closeOfReason(reason);
        if (session.readyState === 1) closeSession(session, code, why);
      },
    },
    { highWaterMark: READABLE_HIGH_WATER },
  );
  session.on('message', onMessage);
  // Every message is delivered before the session closes, so the end comes after the last one.
  void session.closed.then((info) => {
    if (done) return;
    done = true;
    release();
    if (info.wasClean) controller.close();
    else controller.error(new WebSocketError('The WebSocket connection closed without a closing handshake', { closeCode: info.code, reason: info.reason }));
  });
  return readable;
}

/** Each write hands one message to the session and resolves once its send buffer is below the high-water mark. */
function writableOf(session: Session): WritableStream<WebSocketStreamWritable> {
  // A codec Session with no extension copies a small payload into its frame inside send():
  // then the writer's bytes need no copy of their own (see WebSocket.send).
  const framesAtOnce = session instanceof SessionClass && session.extensions === '';
  const snapshot = (bytes: Uint8Array): Uint8Array => (framesAtOnce && bytes.length <= SINGLE_BUFFER_FRAME_LIMIT ? bytes : bytes.slice());
  return new WritableStream<WebSocketStreamWritable>({
    write(chunk) {
      let belowHighWater: boolean;
      if (typeof chunk === 'string') belowHighWater = session.send(chunk);
      else if (chunk instanceof ArrayBuffer) belowHighWater = session.send(snapshot(new Uint8Array(chunk)));
      else if (ArrayBuffer.isView(chunk)) belowHighWater = session.send(snapshot(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
      // The explainer: "Any other type will be converted to a string and sent as a text message."
      else belowHighWater = session.send(String(chunk));
      // Below the high-water mark the write is done now; above it, it ends when the buffer drains.
      return belowHighWater ? undefined : session.drained();
    },
    close() {
      if (session.readyState === 1) session.close();
    },
    abort(reason) {
      const { code, why } = closeOfReason(reason);
      if (session.readyState === 1) closeSession(session, code, why);
    },
  });
}

/** A `WebSocketError` given to cancel/abort carries the close code and reason to use. */
function closeOfReason(reason: unknown): { code: number | undefined; why: string | undefined } {
  const code = reason instanceof WebSocketError ? reason.closeCode : null;
  if (code !== null && (code === 1000 || (code >= 3000 && code <= 4999))) return { code, why: (reason as WebSocketError).reason };
  return { code: undefined, why: undefined };
}
