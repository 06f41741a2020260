import type { Connection } from '../protocol/connection.js';
import type { ConnectionEvent } from '../protocol/events.js';
import type { DeflateStats } from '../protocol/extension-queue.js';
import { UsageError } from '../protocol/errors.js';
import type { PreparedBatch } from '../protocol/prepared-batch.js';
import type { PreparedMessage } from '../protocol/prepared-message.js';
import { TimerSlot, type Scheduler } from './scheduler.js';
import { TypedEmitter } from './session-emitter.js';
import { Inbox, type SessionMessage } from './session-inbox.js';
import { MessageStream } from './message-stream.js';
import {
  ReadyState,
  type BinaryType,
  type CloseInfo,
  type ReadableStreamConstructorLike,
  type SessionEvents,
  type SessionInit,
} from './session-types.js';
import { checkTopic } from './topic-name.js';
import type { TopicRegistry } from './topic-registry.js';
import type { Transport, TransportSink } from './transport.js';

export { ReadyState } from './session-types.js';
export type {
  BinaryType,
  CloseInfo,
  MessageBody,
  MessageBodyReader,
  ReadableStreamConstructorLike,
  SessionEvents,
  SessionInit,
  SessionOptions,
} from './session-types.js';

const MiB = 1024 * 1024;
/** Bytes read (and dropped) from a failed peer before reading stops. */
const DISCARD_ALLOWANCE = 64 * 1024;
const textEncoder = new TextEncoder();

/**
 * @internal How a {@link ServerRegistry} learns that a session closed
 * without a promise, a reaction and a closure per idle connection: the
 * session calls the hook as it closes, before its 'close' listeners run, so
 * a closed session is never still counted inside them.
 */
export const onSessionClosed: unique symbol = Symbol('framewire.onSessionClosed');

/**
 * @internal One beat of a server's heartbeat sweep (see `ServerRegistry`):
 * `session[heartbeatBeat](maxMissed)` pings a peer that was silent since the
 * last beat and terminates one that missed `maxMissed` pings in a row.
 */
export const heartbeatBeat: unique symbol = Symbol('framewire.heartbeatBeat');

/**
 * @internal How a server's `ServerRegistry` gives a session its topics:
 * `session[attachTopics](registry)` before the application sees it.
 */
export const attachTopics: unique symbol = Symbol('framewire.attachTopics');

/**
 * @internal A topic publish hands a session a message framed once
 * (`TopicRegistry.publish`); returns whether it was queued.
 */
export const sendPreparedMessage: unique symbol = Symbol('framewire.sendPreparedMessage');

/**
 * @internal A topic publish hands a session a payload compressed once for
 * every subscriber with the same deflate state; returns whether it was queued.
 */
export const sendDeflatedMessage: unique symbol = Symbol('framewire.sendDeflatedMessage');

/**
 * @internal A batch topic publish hands a session the first `count` messages
 * of a {@link PreparedBatch} as one buffer; returns how many were queued, or
 * -1 when it must take them one by one (frames wait behind its extension).
 */
export const sendPreparedBatch: unique symbol = Symbol('framewire.sendPreparedBatch');

/** @internal A topic subscriber over the backpressure limit is failed with 1008 (policy `'close'`). */
export const failSlowSubscriber: unique symbol = Symbol('framewire.failSlowSubscriber');

const NO_TOPICS: ReadonlySet<string> = new Set();

/** Receive work is synchronous; user calls are batched into one flush per microtask. */
const microtask = (fn: () => void): void => {
  void Promise.resolve().then(fn);
};

const runScheduledFlush: unique symbol = Symbol('framewire.runScheduledFlush');
/** Sessions with output waiting for the shared flush microtask, in the order they asked. */
let flushQueue: Session[] = [];

function runFlushQueue(): void {
  const queue = flushQueue;
  flushQueue = [];
  // A session that fails here has reported it (its #process guards its
  // transport); the others still flush.
  for (const session of queue) {
    try {
      session[runScheduledFlush]();
    } catch (error) {
      void Promise.reject(error);
    }
  }
}

/**
 * One WebSocket connection bound to one {@link Transport}: the public API
 * every adapter exposes unchanged.
 *
 * The session owns no protocol logic: the {@link Connection} decides, the
 * session moves bytes, arms exactly one scheduler timer at the connection's
 * `pollTimeout()`, applies backpressure in both directions and turns
 * connection events into listener calls and an async iterator.
 *
 * - Writes: all output produced by one batch of work (one received chunk,
 *   or every `send`/`ping`/`close` in one tick) goes to `transport.write` in
 *   a single call.
 * - Send backpressure: `send()` returns `false` at `highWaterMark`; wait for
 *   `drained()` or the `drain` event. Past `maxBufferedAmount` the connection
 *   fails with 1008.
 * - Receive backpressure: messages are held while no consumer exists (no
 *   `message` listener and no iterator), and while an iterator is not pulled
 *   or a listener's promise is pending; past the receive high-water marks the
 *   session calls `transport.pause()`, and `resume()` once half is consumed.
 *   Every message is delivered exactly once, in order.
 *
 * @example
 * ```ts
 * session.on('message', (data, isBinary) => session.send(data, { binary: isBinary }));
 * // or
 * for await (const message of session) session.send(message);
 * const { code } = await session.closed;
 * ```
 */
export class Session<Data = unknown> extends TypedEmitter<SessionEvents> implements TransportSink, AsyncIterable<SessionMessage> {
  /**
   * Per-connection data: what the server's accept hook passed as
   * `accept({ data })` (`undefined` when it passed none); free to change.
   */
  data: Data = undefined as Data;
  /** How binary messages are delivered; may be changed at any time. */
  binaryType: BinaryType;
  /** The negotiated subprotocol, '' when none. */
  readonly protocol: string;
  /** The negotiated extensions header value, '' when none. */
  readonly extensions: string;

  readonly #connection: Connection;
  readonly #transport: Transport;
  readonly #scheduler: Scheduler;
  readonly #highWaterMark: number;
  readonly #maxBufferedAmount: number;
  readonly #transportCloseTimeout: number;
  readonly #onListenerError: ((error: unknown, event: keyof SessionEvents) => void) | undefined;
  readonly #receiveHighWaterMessages: number;
  readonly #receiveHighWaterBytes: number;
  // Allocated on first use: an idle connection needs no inbox, no timer and
  // no `closed` promise (see `#inboxNow`, `#afterWork`, `closed`).
  #inboxSlot: Inbox | undefined;
  #timer: TimerSlot | undefined;
  #graceTimer: TimerSlot | undefined;
  #closed: Promise<CloseInfo> | undefined;
  #resolveClosed: ((info: CloseInfo) => void) | undefined;
  #closedHook: ((session: Session) => void) | undefined;
  #head: Uint8Array | undefined;
  /** Bytes arrived since the last heartbeat beat (a flag, not a clock read, on the receive path). */
  #heard = true;
  /** Heartbeat pings in a row that got no answer. */
  #missed = 0;
  /** Bytes dropped from a failed peer after our side ended. */
  #discarded = 0;
  /** The server's topics (server sessions only) and the ones this session joined (allocated on the first subscribe). */
  #topicRegistry: TopicRegistry | undefined;
  #topics: Set<string> | undefined;
  readonly #readableStream: ReadableStreamConstructorLike | undefined;
  /** The message being received as a stream (`streamMessagesAbove`), if any. */
  #messageStream: MessageStream | undefined;
  /** A message stream's reader is behind. */
  #streamPaused = false;
  /** What the transport was last told: reading paused (inbox or message stream). */
  #readPaused = false;
  #bytesReceived = 0;
  #bytesSent = 0;
  #messagesReceived = 0;
  #messagesSent = 0;

  // The session's state, one value per concern (quinn-proto style) rather
  // than a flag per transition:
  /** `open` emitted and the first bytes read (frames that came with the handshake wait for a consumer). */
  #started = false;
  #closeInfo: CloseInfo | undefined;
  /** What the application asked for: nothing yet, a close handshake, or an abrupt end. */
  #ending: 'none' | 'closing' | 'terminated' = 'none';
  /** Our side of the transport. */
  #wire: 'open' | 'ended' | 'destroyed' = 'open';
  /** The peer's side: still sending, or its EOF (or an error) arrived. */
  #input: 'open' | 'eof' = 'open';
  /** `congested` from a `write` that returned false until the transport calls `drain()`. */
  #output: 'flowing' | 'congested' = 'flowing';
  #congestedBytes = 0;
  /** The processing loop: idle, running, or running with more work asked for meanwhile. */
  #work: 'idle' | 'running' | 'again' = 'idle';
  #needDrain = false;
  #drainWaiters: (() => void)[] | undefined;
  // Deferred work already queued (one microtask or promise each).
  #awaitingPending = false;
  #flushScheduled = false;
  #deliverScheduled = false;
  /** Inside a pass's #readEvents: output queued now goes out with that pass's #flush, no microtask needed. */
  #reading = false;

  constructor(init: SessionInit) {
    super();
    this.#connection = init.connection;
    this.#transport = init.transport;
    this.#scheduler = init.scheduler;
    this.binaryType = init.binaryType ?? 'uint8array';
    this.protocol = init.protocol ?? '';
    this.extensions = init.extensions ?? '';
    this.#highWaterMark = init.highWaterMark ?? 1 * MiB;
    this.#maxBufferedAmount = init.maxBufferedAmount ?? 16 * MiB;
    this.#transportCloseTimeout = init.transportCloseTimeout ?? 2000;
    this.#onListenerError = init.onListenerError;
    this.#readableStream = init.readableStream;
    this.#head = init.head;
    this.#receiveHighWaterMessages = init.receiveHighWaterMessages ?? 64;
    this.#receiveHighWaterBytes = init.receiveHighWaterBytes ?? 16 * MiB;
    if (init.head !== undefined && init.head.length > 0) {
      // Frames that came in the same packet as the handshake wait until a
      // message consumer attaches (or one turn of the event loop), so code
      // that attaches listeners after `await connect()` (several microtasks
      // later) can answer the first messages before the frames after them
      // are read.
      this.#scheduler.setTimer(() => this.#start(), 0);
    } else {
      microtask(() => this.#start());
    }
  }

  // ---- state ------------------------------------------------------------

  /** Resolves once with the close outcome; never rejects. */
  get closed(): Promise<CloseInfo> {
    if (this.#closed === undefined) {
      const info = this.#closeInfo;
      this.#closed =
        info !== undefined
          ? Promise.resolve(info)
          : new Promise((resolve) => {
              this.#resolveClosed = resolve;
            });
    }
    return this.#closed;
  }

  /** @internal Call `hook(this)` once, as the session closes (at once when it already has). */
  [onSessionClosed](hook: (session: Session) => void): void {
    if (this.#closeInfo !== undefined) hook(this);
    else this.#closedHook = hook;
  }

  /** @internal See {@link heartbeatBeat}. */
  [heartbeatBeat](maxMissed: number): void {
    if (this.#heard) {
      this.#heard = false;
      this.#missed = 0;
      return;
    }
    if (this.#closeInfo !== undefined || this.#ending === 'terminated') return;
    if (this.#missed >= maxMissed) {
      // Dead peer (a pulled cable sends no FIN): no close frame can reach it.
      this.terminate();
      return;
    }
    // A closing connection has its own close timeout.
    if (this.#connection.state !== 'open') return;
    this.#missed++;
    this.#connection.ping();
    this.#scheduleFlush();
  }

  /** The inbox, created when first needed. */
  #inboxNow(): Inbox {
    if (this.#inboxSlot === undefined) {
      this.#inboxSlot = new Inbox(
        { highWaterMessages: this.#receiveHighWaterMessages, highWaterBytes: this.#receiveHighWaterBytes },
        () => this.#updateReading(),
      );
      if (this.#closeInfo !== undefined) this.#inboxSlot.close();
    }
    return this.#inboxSlot;
  }

  /** 1 open, 2 closing, 3 closed (see {@link ReadyState}). */
  get readyState(): number {
    if (this.#closeInfo !== undefined) return ReadyState.CLOSED;
    return this.#connection.state === 'open' && this.#ending !== 'terminated' ? ReadyState.OPEN : ReadyState.CLOSING;
  }

  /**
   * Outgoing bytes not yet accepted by the peer's side: bytes queued in the
   * connection plus, while the transport is congested (its last `write`
   * returned `false` and it has not drained), the bytes it holds.
   */
  get bufferedAmount(): number {
    const inTransport = this.#output === 'congested' ? (this.#transport.bufferedAmount ?? this.#congestedBytes) : 0;
    return this.#connection.bufferedAmount + inTransport;
  }

  /**
   * What carries this connection, as its transport names it: `'tcp'`,
   * `'tls'`, `'http2'` (an RFC 8441 stream), or `'unknown'` for a transport
   * that does not say.
   */
  get transportKind(): string {
    return this.#transport.kind ?? 'unknown';
  }

  /**
   * Bytes taken from the transport since the handshake: frames as they
   * arrived on the wire (compressed, masked), so beside the message sizes
   * they show what permessage-deflate saved.
   */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /**
   * What permessage-deflate did on this connection (payload bytes before and
   * after, both directions), or `undefined` when it was not negotiated.
   */
  get deflateStats(): DeflateStats | undefined {
    return this.#connection.deflateStats;
  }

  /** Bytes handed to the transport since the handshake: frames as written to the wire. */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** Whole messages delivered (each counted when it arrived, held or not). */
  get messagesReceived(): number {
    return this.#messagesReceived;
  }

  /** Messages sent with `send` (a fragmented one counts at its final part; topic publishes are not included). */
  get messagesSent(): number {
    return this.#messagesSent;
  }

  /** How the session closed, once it has (`undefined` before). */
  get closeInfo(): CloseInfo | undefined {
    return this.#closeInfo;
  }

  /** Is reading from the transport paused because the application is behind? */
  get receivePaused(): boolean {
    return this.#inboxSlot?.paused ?? false;
  }

  // ---- sending ----------------------------------------------------------

  /**
   * Send a message. A string is sent as text, bytes as binary; `binary`
   * overrides (a string is then sent as its UTF-8 bytes, bytes as text must be
   * valid UTF-8). `fin: false` sends a fragment; continue the message with
   * more `send` calls of the same type. `compress: false` sends this message
   * without permessage-deflate even when it was negotiated (data already
   * compressed, or latency that matters more than bytes); by default the
   * extension compresses messages from its threshold up (1,024 B unless
   * configured). The bytes are not copied: do not
   * change them until the session has written them (`drained()`).
   *
   * @returns `false` when {@link Session.bufferedAmount} reached `highWaterMark`:
   *   wait for `drained()` or `drain` before sending more. Nothing is dropped.
   * @throws UsageError once the connection is closing or closed.
   */
  send(
    data: string | Uint8Array | ArrayBuffer | ArrayBufferView,
    options: { binary?: boolean; fin?: boolean; compress?: boolean } = {},
  ): boolean {
    this.#assertOpen();
    const fin = options.fin ?? true;
    const compress = options.compress ?? true;
    if (typeof data === 'string') {
      if (options.binary === true) this.#connection.sendBinary(textEncoder.encode(data), fin, compress);
      else this.#connection.sendText(data, fin, compress);
    } else {
      const bytes = toBytes(data);
      if (options.binary === false) this.#connection.sendText(bytes, fin, compress);
      else this.#connection.sendBinary(bytes, fin, compress);
    }
    if (fin) this.#messagesSent++;
    this.#scheduleFlush();
    const amount = this.bufferedAmount;
    if (amount > this.#maxBufferedAmount) {
      // The peer is not reading while we keep sending: policy violation.
      this.#fail(1008, 'outgoing buffer limit exceeded');
      return false;
    }
    if (amount >= this.#highWaterMark) {
      this.#needDrain = true;
      return false;
    }
    return true;
  }

  /** Resolves when {@link Session.bufferedAmount} is below `highWaterMark` (at once if it is), or when the session closes. */
  drained(): Promise<void> {
    if (this.bufferedAmount < this.#highWaterMark || this.#closeInfo !== undefined) return Promise.resolve();
    this.#needDrain = true;
    return new Promise((resolve) => (this.#drainWaiters ??= []).push(resolve));
  }

  // ---- topics ------------------------------------------------------------

  /**
   * Join `topic` of this session's server: every `server.publish(topic, …)`
   * reaches this session until it unsubscribes or closes (closing leaves
   * every topic by itself).
   *
   * @returns `true` when newly subscribed; `false` when it already was, or
   *   the session is closing or closed (nothing could reach it).
   * @throws UsageError `FW_ERR_INVALID_STATE` on a session without a server
   *   (a client); `FW_ERR_INVALID_ARGUMENT` for a topic that is not a string
   *   of 1 to 1024 characters.
   */
  subscribe(topic: string): boolean {
    const registry = this.#topicsOrThrow(topic);
    if (this.readyState !== ReadyState.OPEN) return false;
    const topics = (this.#topics ??= new Set());
    if (topics.has(topic)) return false;
    topics.add(topic);
    registry.add(this, topic);
    return true;
  }

  /**
   * Leave `topic`. @returns whether the session was subscribed to it.
   * @throws UsageError as {@link Session.subscribe}.
   */
  unsubscribe(topic: string): boolean {
    const registry = this.#topicsOrThrow(topic);
    if (this.#topics?.delete(topic) !== true) return false;
    registry.remove(this, topic);
    return true;
  }

  /** Is this session subscribed to `topic`? */
  isSubscribed(topic: string): boolean {
    return this.#topics?.has(topic) ?? false;
  }

  /** The topics this session is subscribed to (a live, read-only view; empty once closed). */
  get topics(): ReadonlySet<string> {
    return this.#topics ?? NO_TOPICS;
  }

  #topicsOrThrow(topic: string): TopicRegistry {
    const registry = this.#topicRegistry;
    if (registry === undefined) throw new UsageError('FW_ERR_INVALID_STATE', 'topics belong to a server: this session has none');
    checkTopic(topic);
    return registry;
  }

  /** @internal See {@link attachTopics}. */
  [attachTopics](registry: TopicRegistry): void {
    this.#topicRegistry = registry;
  }

  /** @internal See {@link sendPreparedMessage}. */
  [sendPreparedMessage](message: PreparedMessage): boolean {
    if (this.#closeInfo !== undefined || this.#ending !== 'none' || this.#connection.state !== 'open') return false;
    try {
      this.#connection.sendPrepared(message);
    } catch (error) {
      if (error instanceof UsageError) return false; // a fragmented send of its own is in progress
      throw error;
    }
    this.#schedulePublishFlush();
    if (this.bufferedAmount > this.#maxBufferedAmount) this.#fail(1008, 'outgoing buffer limit exceeded');
    return true;
  }

  /** @internal See {@link sendPreparedBatch}. */
  [sendPreparedBatch](batch: PreparedBatch, count: number): number {
    if (count <= 0) return 0;
    if (this.#closeInfo !== undefined || this.#ending !== 'none' || this.#connection.state !== 'open') return 0;
    const base = this.bufferedAmount;
    const ends = batch.ends;
    // As `count` single sends would: the one that takes the buffer past
    // maxBufferedAmount is still queued, then the session fails with 1008.
    let take = count;
    let over = false;
    if (base + ends[count - 1]! > this.#maxBufferedAmount) {
      take = 0;
      while (base + ends[take]! <= this.#maxBufferedAmount) take++;
      take++;
      over = true;
    }
    try {
      if (!this.#connection.sendPreparedFrames(take === batch.count ? batch.frames : batch.frames.subarray(0, ends[take - 1]!))) return -1;
    } catch (error) {
      if (error instanceof UsageError) return 0; // a fragmented send of its own is in progress
      throw error;
    }
    this.#schedulePublishFlush();
    if (over) this.#fail(1008, 'outgoing buffer limit exceeded');
    return take;
  }

  #schedulePublishFlush(): void {
    // Fan-out: one microtask flushes every subscriber of the publishes of
    // this tick (not one promise per subscriber per publish), and a burst of
    // publishes still reaches each socket in one transport write.
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      const batch = Session.#publishBatch;
      if (batch.length === 0) microtask(Session.#flushPublishBatch);
      batch.push(this);
    }
  }

  /** @internal See {@link sendDeflatedMessage}. */
  [sendDeflatedMessage](opcode: number, payload: Uint8Array, deflated: Uint8Array | Promise<Uint8Array>): boolean {
    if (this.#closeInfo !== undefined || this.#ending !== 'none' || this.#connection.state !== 'open') return false;
    try {
      this.#connection.sendDeflated(opcode, payload, deflated);
    } catch (error) {
      if (error instanceof UsageError) return false;
      throw error;
    }
    this.#scheduleFlush();
    if (this.bufferedAmount > this.#maxBufferedAmount) this.#fail(1008, 'outgoing buffer limit exceeded');
    return true;
  }

  /** Sessions a topic publish wrote to since the last batch flush. */
  static #publishBatch: Session[] = [];

  static #flushPublishBatch(): void {
    const batch = Session.#publishBatch;
    Session.#publishBatch = [];
    let failure: unknown;
    let failed = false;
    for (const session of batch) {
      session.#flushScheduled = false;
      // One session's failure must not leave the others unflushed.
      try {
        session.#process();
      } catch (error) {
        if (!failed) [failed, failure] = [true, error];
      }
    }
    if (failed) throw failure;
  }

  /** @internal See {@link failSlowSubscriber}. */
  [failSlowSubscriber](): void {
    if (this.#closeInfo !== undefined || this.#ending === 'terminated') return;
    this.#fail(1008, 'topic subscriber too slow');
  }

  #leaveTopics(): void {
    const topics = this.#topics;
    const registry = this.#topicRegistry;
    if (topics === undefined || registry === undefined) return;
    this.#topics = undefined;
    for (const topic of topics) registry.remove(this, topic);
  }

  /** Send a ping (payload ≤ 125 bytes). @throws UsageError once closing. */
  ping(data?: Uint8Array | string): void {
    this.#assertOpen();
    this.#connection.ping(data);
    this.#scheduleFlush();
  }

  /** Send an unsolicited pong (payload ≤ 125 bytes). @throws UsageError once closing. */
  pong(data?: Uint8Array | string): void {
    this.#assertOpen();
    this.#connection.pong(data);
    this.#scheduleFlush();
  }

  /**
   * Start the close handshake (RFC 6455 §7.1.2). `code` is 1000 or
   * 3000-4999 (default 1000); `reason` at most 123 UTF-8 bytes. A second call
   * while closing is ignored. The `close` event follows the peer's answer, or
   * the connection's close timeout.
   * @throws UsageError for a code or reason the API does not allow.
   */
  close(code?: number, reason?: string): void {
    if (this.#ending !== 'none' || this.#closeInfo !== undefined) return;
    if (this.#connection.state !== 'open') return;
    this.#connection.close(code, reason);
    this.#ending = 'closing';
    this.#scheduleFlush();
  }

  /** Destroy the transport now, without a close handshake; `close` reports 1006. */
  terminate(): void {
    if (this.#closeInfo !== undefined || this.#ending === 'terminated') return;
    this.#ending = 'terminated';
    this.#destroyTransport();
    this.#connection.receiveEof();
    this.#process();
    this.#finish({ code: 1006, reason: '', wasClean: false });
  }

  /** Messages as an async iterator; ends after the connection closed and held messages were taken. */
  [Symbol.asyncIterator](): AsyncIterableIterator<SessionMessage, undefined> {
    if (!this.#started) microtask(() => this.#start());
    return this.#inboxNow().iterator();
  }

  // ---- TransportSink ----------------------------------------------------

  /** Bytes from the transport. Never throws. */
  receive(chunk: Uint8Array): void {
    // (The body of #guard written out: no closure per chunk on the hot path.)
    try {
      this.#start();
      this.#bytesReceived += chunk.length;
      if (this.#closeInfo !== undefined && this.#connection.state === 'closed') return;
      this.#heard = true;
      if (this.#wire !== 'open' && this.#discardAfterEnd(chunk.length)) return;
      this.#connection.receive(chunk);
      this.#process();
    } catch (error) {
      this.#guardFailed(error);
    }
  }

  /**
   * After we failed the peer and ended our side, its bytes are thrown away
   * unread. A peer that keeps sending (a flood) would cost memory and CPU
   * at its send rate, so past a small allowance (room for its close frame
   * and anything in flight) reading stops; its FIN or the grace timer ends
   * the connection. Returns whether the chunk is to be dropped.
   */
  #discardAfterEnd(bytes: number): boolean {
    if (this.#connection.failure === undefined) return false;
    this.#discarded += bytes;
    if (this.#discarded > DISCARD_ALLOWANCE) this.#transport.pause();
    return true;
  }

  /** The transport ended or failed. Never throws; idempotent. */
  receiveEof(error?: unknown): void {
    this.#guard(() => this.#receiveEof(error));
  }

  #receiveEof(error: unknown): void {
    this.#start();
    if (this.#input === 'eof') return;
    this.#input = 'eof';
    this.#graceTimer?.clear();
    if (error !== undefined && this.#closeInfo === undefined) {
      this.#emitError(error instanceof Error ? error : new Error(String(error)));
    }
    if (this.#closeInfo !== undefined) return;
    this.#connection.receiveEof();
    this.#process();
    // A connection that did not report `closed` on EOF still ends here.
    this.#finish({ code: 1006, reason: '', wasClean: false });
  }

  /** The transport can take more bytes. Never throws. */
  drain(): void {
    this.#guard(() => {
      this.#output = 'flowing';
      this.#congestedBytes = 0;
      this.#connection.setOutputBlocked(false);
      this.#process();
    });
  }

  /**
   * The transport-facing methods never throw: an unexpected exception (a bug,
   * not peer input, which the connection turns into events) is reported as
   * an `error` event and the transport is destroyed.
   */
  #guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.#guardFailed(error);
    }
  }

  #guardFailed(error: unknown): void {
    this.#work = 'idle';
    this.#emitError(error instanceof Error ? error : new Error(String(error)));
    if (this.#closeInfo === undefined) {
      this.#ending = 'terminated';
      this.#destroyTransport();
      this.#finish({ code: 1006, reason: '', wasClean: false });
    }
  }

  // ---- internals --------------------------------------------------------

  protected override reportListenerError(error: unknown, event: keyof SessionEvents): void {
    if (this.#onListenerError !== undefined) {
      try {
        this.#onListenerError(error, event);
      } catch (inner) {
        void Promise.reject(inner);
      }
      return;
    }
    // ws-like: the application's bug surfaces as an unhandled error, outside our call stack.
    void Promise.reject(error);
  }

  protected override listenerAdded(event: keyof SessionEvents): void {
    // A consumer is here: frames that came with the handshake need not wait any longer.
    if (event === 'message' && !this.#started) microtask(() => this.#start());
    if (event === 'message' && (this.#inboxSlot?.size ?? 0) > 0) this.#scheduleDeliverHeld();
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.emit('open', []);
    const head = this.#head;
    this.#head = undefined;
    if (head !== undefined && head.length > 0) this.receive(head);
    else this.#process();
  }

  #assertOpen(): void {
    if (this.#ending === 'terminated' || this.#closeInfo !== undefined) {
      throw new UsageError('FW_ERR_CLOSED', 'the WebSocket is closed');
    }
  }

  /** Fail the connection with a library close code (1001, 1008...). */
  #fail(code: number, reason: string): void {
    if (this.#connection.state === 'open') {
      this.#connection.closeWithLibraryCode(code, reason);
      this.#ending = 'closing';
    }
    this.#scheduleFlush();
  }

  /**
   * Start the close handshake with 1001 Going Away (RFC 6455 §7.4.1): the
   * server is shutting down or the client is leaving. Used by
   * `ServerRegistry.shutdown`. Ignored once closing.
   */
  goingAway(reason = 'going away'): void {
    if (this.#closeInfo !== undefined || this.#ending === 'terminated') return;
    this.#fail(1001, reason);
  }

  /**
   * Close with any code valid on the wire (RFC 6455 §7.4.1), for servers
   * that report their own failures: 1011 (internal error), 1008 (policy),
   * 1012/1013... `close()` takes only what a browser may send (1000,
   * 3000-4999). Ignored once closing.
   *
   * @throws {UsageError} `FW_ERR_INVALID_CLOSE_CODE_ARG` for a code not valid on the wire, `FW_ERR_REASON_TOO_LONG`.
   */
  closeWithLibraryCode(code: number, reason = ''): void {
    if (this.#closeInfo !== undefined || this.#ending !== 'none') return;
    this.#fail(code, reason);
  }

  #scheduleFlush(): void {
    // (Even inside a processing pass, which flushes when it ends: work done
    // after that flush, such as ending the transport once a close frame is
    // out, needs the later pass. Found by the Deno backpressure scenario.)
    if (this.#flushScheduled) return;
    // A send from a message listener (an echo, a reply) is written by the
    // #flush that ends this pass: a second pass a microtask later would find
    // nothing to do, at the cost of a promise reaction per message.
    if (this.#reading) return;
    this.#flushScheduled = true;
    // One shared microtask for every session with output (the codec may
    // use no runtime global such as queueMicrotask): no closure and no
    // promise per send.
    flushQueue.push(this);
    if (flushQueue.length === 1) void Promise.resolve().then(runFlushQueue);
  }

  /** @internal Called by {@link runFlushQueue}. */
  [runScheduledFlush](): void {
    this.#flushScheduled = false;
    this.#process();
  }

  /** Read every connection event, write the output in one call, re-arm the timer. */
  #process(): void {
    if (this.#work !== 'idle') {
      this.#work = 'again';
      return;
    }
    try {
      do {
        this.#work = 'running';
        this.#reading = true;
        try {
          this.#readEvents();
        } finally {
          this.#reading = false;
        }
        this.#flush();
        // (A listener may have asked for another pass: read the field afresh.)
      } while (this.#askedAgain());
    } finally {
      this.#work = 'idle';
    }
    this.#afterWork();
  }

  #askedAgain(): boolean {
    return this.#work === 'again';
  }

  #readEvents(): void {
    for (;;) {
      const event = this.#connection.readEvent();
      if (event === undefined) break;
      this.#handle(event);
    }
    if (this.#awaitingPending) return;
    const pending = this.#connection.pending();
    if (pending === undefined) return;
    // Async extension work (inflate/deflate): continue once it settles.
    this.#awaitingPending = true;
    pending.then(
      () => {
        this.#awaitingPending = false;
        this.#process();
      },
      (error: unknown) => {
        this.#awaitingPending = false;
        this.#emitError(error instanceof Error ? error : new Error(String(error)));
        this.#process();
      },
    );
  }

  #handle(event: ConnectionEvent): void {
    switch (event.type) {
      case 'text':
        // Raw text mode: the validated bytes, never decoded here.
        if (event.bytes !== undefined) this.#deliver(event.bytes, false, event.bytes.length);
        else this.#deliver(event.data, false, event.data.length);
        break;
      case 'binary':
        this.#deliver(this.#binary(event.data), true, event.data.length);
        break;
      case 'ping':
        this.emit('ping', [event.data]);
        break;
      case 'pong':
        this.emit('pong', [event.data]);
        break;
      case 'close':
        break; // the connection echoes it; `closed` follows
      case 'message-start':
        this.#startMessageStream(event.binary);
        break;
      case 'message-data':
        this.#messageStream?.push(event.data);
        break;
      case 'message-end':
        this.#messageStream?.end();
        this.#messageStream = undefined;
        break;
      case 'error':
        this.#messageStream?.error(event.error);
        this.#messageStream = undefined;
        this.#emitError(event.error);
        break;
      case 'closed':
        this.#finish({ code: event.code, reason: event.reason, wasClean: event.wasClean });
        break;
    }
  }

  /** A message passed `streamMessagesAbove`: hand its body to the `messageStream` listener. */
  #startMessageStream(isBinary: boolean): void {
    this.#messagesReceived++;
    const Stream = this.#readableStream;
    if (this.listenerCount('messageStream') === 0 || Stream === undefined) {
      // Opted in but nobody reads: holding it whole is what the option avoids.
      this.#fail(1009, Stream === undefined ? 'no ReadableStream to stream the message with' : 'no messageStream listener');
      return;
    }
    const stream = new MessageStream(Stream, isBinary, {
      flow: (paused) => {
        this.#streamPaused = paused;
        this.#updateReading();
      },
      cancelled: () => {
        if (this.#messageStream === stream) this.#messageStream = undefined;
        // Documented: a reader that gives up on a message ends the connection (the rest would still arrive).
        this.#fail(1008, 'message stream cancelled');
      },
    });
    this.#messageStream = stream;
    this.emit('messageStream', [stream.body, isBinary], (result) => {
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.reportListenerError(error, 'messageStream'));
    });
  }

  #binary(data: Uint8Array): Uint8Array | ArrayBuffer {
    if (this.binaryType === 'uint8array') return data;
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    return (whole ? data.buffer : data.slice().buffer) as ArrayBuffer;
  }

  #deliver(data: SessionMessage, isBinary: boolean, size: number): void {
    this.#messagesReceived++;
    const listeners = this.listenerCount('message');
    const inbox = this.#inboxSlot;
    const iterating = inbox !== undefined && inbox.iterating;
    if (listeners > 0) {
      if (inbox !== undefined && inbox.size > 0 && !iterating) {
        // Messages held for a late listener go first: this one must not overtake them.
        inbox.push(data, isBinary, size);
        this.#scheduleDeliverHeld();
        return;
      }
      this.#dispatch(data, isBinary, size);
    }
    if (listeners === 0 || iterating) this.#inboxNow().push(data, isBinary, size);
  }

  #dispatch(data: SessionMessage, isBinary: boolean, size: number): void {
    // One listener (the usual case) is called directly: no argument array
    // and no result closure per message.
    const single = this.singleListener('message');
    if (single !== undefined) {
      let result: unknown;
      try {
        result = single(data, isBinary);
      } catch (error) {
        this.reportListenerError(error, 'message');
        return;
      }
      if (isThenable(result)) this.#track(result, size);
      return;
    }
    this.emit('message', [data, isBinary], (result) => {
      if (isThenable(result)) this.#track(result, size);
    });
  }

  #track(result: PromiseLike<unknown>, size: number): void {
    this.#inboxNow().track(result, size, (error) => this.reportListenerError(error, 'message'));
  }

  /** Hand held messages to listeners that were added after they arrived. */
  #scheduleDeliverHeld(): void {
    if (this.#deliverScheduled) return;
    this.#deliverScheduled = true;
    microtask(() => {
      this.#deliverScheduled = false;
      const inbox = this.#inboxSlot;
      while (inbox !== undefined && this.listenerCount('message') > 0 && !inbox.iterating) {
        const held = inbox.shift();
        if (held === undefined) break;
        this.#dispatch(held.data, held.isBinary, sizeOf(held.data));
      }
    });
  }

  #emitError(error: Error): void {
    this.emit('error', [error]);
  }

  #flush(): void {
    const chunks = this.#connection.takeOutput();
    if (chunks.length > 0 && this.#wire === 'open') {
      for (const c of chunks) this.#bytesSent += c.length;
      const ok = this.#transport.write(chunks);
      if (!ok || this.#output === 'congested') {
        if (this.#output === 'flowing') this.#connection.setOutputBlocked(true);
        this.#output = 'congested';
        for (const c of chunks) this.#congestedBytes += c.length;
      }
    }
    if (this.#connection.closeTransport) this.#endTransport();
  }

  #afterWork(): void {
    if (this.#closeInfo !== undefined) {
      this.#timer?.clear();
      if (this.#wire === 'open') this.#endTransport();
    } else {
      const deadline = this.#connection.pollTimeout();
      if (deadline !== undefined) {
        this.#timer ??= new TimerSlot(this.#scheduler, () => {
          this.#connection.handleTimeout(this.#scheduler.now());
          this.#process();
        });
        this.#timer.set(deadline);
      } else this.#timer?.clear();
    }
    if (this.#needDrain && this.bufferedAmount < this.#highWaterMark) {
      this.#needDrain = false;
      this.#resolveDrainWaiters();
      if (this.#closeInfo === undefined) this.emit('drain', []);
    }
  }

  #resolveDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    if (waiters === undefined) return;
    this.#drainWaiters = undefined;
    for (const w of waiters) w();
  }

  #endTransport(): void {
    if (this.#wire !== 'open') return;
    this.#wire = 'ended';
    this.#transport.end();
    // The peer should close its side now; if it never does, do not leak the transport.
    if (this.#input === 'open') {
      this.#graceTimer ??= new TimerSlot(this.#scheduler, () => this.#destroyTransport());
      this.#graceTimer.set(this.#scheduler.now() + this.#transportCloseTimeout);
    }
  }

  #destroyTransport(): void {
    this.#graceTimer?.clear();
    if (this.#wire === 'destroyed') return;
    this.#wire = 'destroyed';
    this.#transport.destroy();
  }

  /** Pause reading while the inbox or a message stream's reader is behind; resume when neither is. */
  #updateReading(): void {
    const paused = (this.#inboxSlot?.paused ?? false) || this.#streamPaused;
    if (paused === this.#readPaused) return;
    this.#readPaused = paused;
    this.#setReading(!paused);
  }

  #setReading(reading: boolean): void {
    if (this.#wire === 'destroyed') return;
    if (reading) this.#transport.resume();
    else this.#transport.pause();
  }

  /** The connection is closed: report once, release timers and waiters. */
  #finish(info: CloseInfo): void {
    if (this.#closeInfo !== undefined) return;
    this.#closeInfo = this.#ending === 'terminated' ? { code: 1006, reason: '', wasClean: false } : info;
    this.#timer?.clear();
    const inbox = this.#inboxSlot;
    inbox?.close();
    this.#resolveDrainWaiters();
    this.#needDrain = false;
    this.#messageStream?.error(new Error(`the connection closed (${this.#closeInfo.code}) before the message ended`));
    this.#messageStream = undefined;
    // Keep reading so the peer's EOF arrives; the inbox no longer matters.
    if (this.#readPaused) {
      this.#readPaused = false;
      this.#setReading(true);
    }
    if (this.#wire === 'open' && this.#work === 'idle') this.#endTransport();
    // The registries hear first: a closed session is gone from its topics
    // and from `server.clients` before any 'close' listener runs.
    this.#leaveTopics();
    const hook = this.#closedHook;
    this.#closedHook = undefined;
    hook?.(this);
    this.#resolveClosed?.(this.#closeInfo);
    this.#resolveClosed = undefined;
    this.emit('close', [this.#closeInfo]);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function toBytes(data: Uint8Array | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'send() takes a string, an ArrayBuffer or an ArrayBufferView');
}

function sizeOf(data: SessionMessage): number {
  return typeof data === 'string' ? data.length : data.byteLength;
}
