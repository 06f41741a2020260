/**
 * The public shapes of a {@link Session}: its events, options and close
 * outcome. Kept apart from the class so adapters can import them cheaply.
 *
 * @module
 */
import type { Connection } from '../protocol/connection.js';
import type { Scheduler } from './scheduler.js';
import type { SessionMessage } from './session-inbox.js';
import type { Transport } from './transport.js';

/** How binary messages are handed to the application. */
export type BinaryType = 'uint8array' | 'arraybuffer';

/** The outcome of a connection, as in the `close` event and {@link Session.closed}. */
export interface CloseInfo {
  /** The close code (1005 when the peer's close frame had none, 1006 for an abrupt end). */
  readonly code: number;
  /** The close reason, '' when none. */
  readonly reason: string;
  /** Did both sides exchange close frames before the transport ended? */
  readonly wasClean: boolean;
}

/** Listener signatures of a {@link Session}. */
export interface SessionEvents {
  /**
   * The session started (once, on the microtask after construction). Sessions
   * handed out by the upgrade drivers are already open; listen for it only
   * when you construct a Session yourself.
   */
  open: () => void;
  /**
   * A message arrived: text as a string (as validated UTF-8 bytes with the
   * connection's `rawText`), binary per {@link Session.binaryType}.
   * Returning a promise holds the message as unconsumed until it settles
   * (receive-side backpressure).
   */
  message: (data: SessionMessage, isBinary: boolean) => unknown;
  /**
   * With `streamMessagesAbove`: a message longer than the threshold, as a
   * `ReadableStream<Uint8Array>` of its bytes (text as UTF-8, validated as
   * it arrives) while its frames arrive; it does not go to `message`.
   * Backpressure: while 1 MiB sits unread in `body`, reading from the
   * transport pauses. Cancelling `body` closes the connection with 1008;
   * without a listener the connection closes with 1009. If the connection
   * fails mid-message (1007, 1009, an abrupt end) `body` errors.
   */
  messageStream: (body: MessageBody, isBinary: boolean) => unknown;
  /** A ping arrived (the pong was already queued by the connection). */
  ping: (data: Uint8Array) => void;
  /** A pong arrived. */
  pong: (data: Uint8Array) => void;
  /** The connection is closed; emitted exactly once. */
  close: (info: CloseInfo) => void;
  /** A protocol failure (a `ProtocolError`, whose close frame was already queued) or a transport error. */
  error: (error: Error) => void;
  /** The outgoing buffer fell below `highWaterMark` after `send()` returned `false`. */
  drain: () => void;
}

/** A reader of a {@link MessageBody} (the WHATWG `ReadableStreamDefaultReader` members used here). */
export interface MessageBodyReader {
  read(): Promise<{ done: false; value: Uint8Array } | { done: true; value?: undefined }>;
  cancel(reason?: unknown): Promise<void>;
  releaseLock(): void;
}

/**
 * A streamed message's bytes: a runtime's WHATWG `ReadableStream<Uint8Array>`,
 * typed here by the members the session layer may name (it sees no DOM
 * types). Cast it to `ReadableStream<Uint8Array>` for `pipeTo` and friends.
 */
export interface MessageBody extends AsyncIterable<Uint8Array> {
  readonly locked: boolean;
  getReader(): MessageBodyReader;
  cancel(reason?: unknown): Promise<void>;
}

/** The controller a {@link MessageBodySource} gets (WHATWG `ReadableStreamDefaultController`). */
export interface MessageBodyController {
  readonly desiredSize: number | null;
  enqueue(chunk: Uint8Array): void;
  close(): void;
  error(reason?: unknown): void;
}

/** The underlying source the session gives the stream constructor (WHATWG `UnderlyingDefaultSource`). */
export interface MessageBodySource {
  start(controller: MessageBodyController): void;
  pull(controller: MessageBodyController): void;
  cancel(reason: unknown): void;
}

/**
 * The runtime's `ReadableStream` constructor, injected (the codec reads no
 * runtime global): every adapter passes its own.
 */
export type ReadableStreamConstructorLike = new (
  source: MessageBodySource,
  strategy: { highWaterMark: number; size(chunk: Uint8Array): number },
) => MessageBody;

/** Options of a {@link Session}; every limit is on by default. */
export interface SessionOptions {
  /** The negotiated subprotocol, '' when none. */
  protocol?: string;
  /** The negotiated `Sec-WebSocket-Extensions` value, '' when none. */
  extensions?: string;
  /** Initial {@link Session.binaryType}. Default `'uint8array'`. */
  binaryType?: BinaryType;
  /** `send()` returns `false` once {@link Session.bufferedAmount} reaches this. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * Hard limit on outgoing buffered bytes. When the application keeps
   * sending past it while the peer does not read, the session fails the
   * connection with close code 1008 (policy violation): the message that
   * crossed the limit is still queued, later `send()` calls throw, and the
   * transport is destroyed when the connection's close timeout runs out.
   * Nothing is dropped silently. Default 16 MiB.
   */
  maxBufferedAmount?: number;
  /** Unconsumed received messages at which reading from the transport pauses. Default 64. */
  receiveHighWaterMessages?: number;
  /** Unconsumed received bytes at which reading from the transport pauses. Default 16 MiB. */
  receiveHighWaterBytes?: number;
  /** After the connection closed, destroy a transport whose peer has not ended within this many ms. Default 2000. */
  transportCloseTimeout?: number;
  /** Bytes received before the session existed (after the handshake, in the same read). */
  head?: Uint8Array;
  /**
   * Where exceptions thrown by listeners (and rejections of promises returned
   * by `message` listeners) go. Default: rethrown asynchronously as an
   * unhandled promise rejection, which ends a Node or Deno process like an
   * uncaught exception in a `ws` listener would. The session itself keeps
   * working either way.
   */
  onListenerError?: (error: unknown, event: keyof SessionEvents) => void;
  /**
   * The runtime's `ReadableStream`, which bodies of streamed messages
   * (`streamMessagesAbove`, the `messageStream` event) are made with. The
   * adapters pass it; without it a message that would be streamed closes
   * the connection with 1009.
   */
  readableStream?: ReadableStreamConstructorLike;
}

/** What a {@link Session} is built from: a connection, a transport, a scheduler and options. */
export interface SessionInit extends SessionOptions {
  /** A fresh Connection whose `now` is `scheduler.now`. */
  connection: Connection;
  transport: Transport;
  scheduler: Scheduler;
}

/** Values of {@link Session.readyState}, as in the WebSocket API. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
