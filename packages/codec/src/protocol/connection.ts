/**
 * The sans-I/O WebSocket connection, RFC 6455 §5-§7: bytes in, events and
 * bytes out, timers as data (STYLE.md lessons 1, 2 and 11).
 *
 * Written by hand: the state machine is the heart of the codec and has to be
 * runtime-neutral; no library offers one for TypeScript without I/O.
 *
 * @module
 */
import { CloseCode, isValidApiCloseCode, isValidWireCloseCode } from './close-code.js';
import {
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_PINGS_WHILE_BLOCKED,
  validateConnectionOptions,
  type ConnectionOptions,
  type ConnectionState,
  type Role,
} from './connection-options.js';
import { encodeClosePayload, parseClosePayload } from './close-payload.js';
import { ProtocolError, UsageError } from './errors.js';
import { closedEvent, closeEvent, errorEvent, pingEvent, pongEvent, type ConnectionEvent } from './events.js';
import { ExtensionQueue, PendingSlot, type DeflateStats } from './extension-queue.js';
import { MAX_CONTROL_PAYLOAD, nextMaskKey, SINGLE_BUFFER_FRAME_LIMIT, UNMASKED_JOIN_LIMIT, writeFrame, writeUnmaskedHeader, type Frame } from './frame.js';
import { FrameDecoder } from './frame-decoder.js';
import type { CodecHooks } from './hooks.js';
import { MessageAssembler, type AssembledMessage } from './message-assembler.js';
import { Opcode } from './opcode.js';
import type { PreparedMessage } from './prepared-message.js';
import { defaultRandomSource, type RandomSource } from './random.js';
import { defaultUtf8ValidatorFactory, type Utf8ValidatorFactory } from './utf8.js';

export type { ConnectionOptions, ConnectionState, Role } from './connection-options.js';

const EMPTY = new Uint8Array(0);
const textEncoder = new TextEncoder();
/** Shared buffer for encoding outgoing text; 3 bytes per UTF-16 unit is the UTF-8 worst case. */
const scratch = new Uint8Array(48 * 1024);
const SCRATCH_STRING_LIMIT = scratch.length / 3;
/** Strings up to this many UTF-16 units try {@link asciiInto} first (measured 46 -> 28 ns at 16 chars; slower past ~32). */
const SHORT_ASCII = 32;

/** Writes an all-ASCII string as bytes (UTF-8 of ASCII is itself); -1 at the first other char, then use TextEncoder. */
function asciiInto(data: string, target: Uint8Array): number {
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const c = data.charCodeAt(i);
    if (c >= 0x80) return -1;
    target[i] = c;
  }
  return n;
}

function asBytes(data: Uint8Array | string | undefined): Uint8Array {
  if (data === undefined) return EMPTY;
  return typeof data === 'string' ? textEncoder.encode(data) : data;
}

/**
 * One WebSocket connection as a pure state machine, for either role. Feed it
 * bytes with {@link Connection.receive} / {@link Connection.receiveEof}, pull
 * events with {@link Connection.readEvent} and bytes to write with
 * {@link Connection.takeOutput}; ask {@link Connection.pollTimeout} when to
 * call {@link Connection.handleTimeout}. It never throws on peer input: a
 * protocol failure queues our close frame, then reports one `error` event.
 *
 * @example An echo loop
 * ```ts
 * const conn = new Connection({ role: 'server', now: Date.now });
 * socket.on('data', (chunk) => {
 *   conn.receive(chunk);
 *   for (let e = conn.readEvent(); e !== undefined; e = conn.readEvent()) {
 *     if (e.type === 'text') conn.sendText(e.data);
 *     if (e.type === 'binary') conn.sendBinary(e.data);
 *   }
 *   for (const bytes of conn.takeOutput()) socket.write(bytes);
 *   if (conn.closeTransport) socket.end();
 * });
 * ```
 */
export class Connection {
  /** Our role. */
  readonly role: Role;

  readonly #now: () => number;
  readonly #client: boolean;
  readonly #maxMessageSize: number;
  readonly #autoPong: boolean;
  readonly #maxPingsWhileBlocked: number;
  readonly #closeTimeout: number;
  readonly #heartbeat: { interval: number; timeout: number } | undefined;
  readonly #idleTimeout: number | undefined;
  readonly #random: RandomSource;
  readonly #hooks: CodecHooks | undefined;
  /** The extension's decode and send queues; only with a negotiated extension. */
  readonly #queue: ExtensionQueue | undefined;
  /** Whether timers need to know when bytes move (skips clock reads otherwise). */
  readonly #tracksTime: boolean;

  readonly #maxFrameSize: number;
  readonly #utf8: Utf8ValidatorFactory;
  /** Text messages are delivered as validated bytes (see `ConnectionOptions.rawText`). */
  readonly #rawText: boolean;
  /** `ConnectionOptions.streamMessagesAbove`, kept for the assembler made on the first data frame. */
  readonly #streamAbove: number | undefined;
  // The decoder and the assembler are made when the first bytes (the first
  // data frame) arrive: an idle connection holds neither.
  /** `undefined` before the first bytes and once input is discarded (after a close frame or a failure, STYLE.md lesson 11). */
  #decoder: FrameDecoder | undefined;
  /** Input is discarded for good: no decoder is made again. */
  #inputDone = false;
  #assembler: MessageAssembler | undefined;

  // Events, in order; PendingSlots wait for the extension.
  #events: (ConnectionEvent | PendingSlot | undefined)[] = [];
  #eventHead = 0;

  // Output.
  /** Made on the first output and dropped when taken: an idle connection holds no list. */
  #out: Uint8Array[] | undefined;
  #outBytes = 0;
  /** Opcode of our fragmented message in progress (0 when none). */
  #sendingOpcode = 0;
  /** The transport takes no more bytes for now (see {@link Connection.setOutputBlocked}). */
  #outputBlocked = false;
  /** The latest ping's payload, answered once the output is unblocked. */
  #heldPong: Uint8Array | undefined;
  #pingsWhileBlocked = 0;

  // Close handshake.
  #state: ConnectionState = 'open';
  #closeSent = false;
  #closeReceived = false;
  #receivedCode: number = CloseCode.NoStatus;
  #receivedReason = '';
  #failure: ProtocolError | undefined;
  #closeTransport = false;
  #closeDeadline: number | undefined;

  // Timers.
  #lastReceived = 0;
  #lastTraffic = 0;
  #pingDeadline: number | undefined;

  /** @throws {UsageError} `FW_ERR_INVALID_ARGUMENT` for a bad role, clock or limit. */
  constructor(options: ConnectionOptions) {
    validateConnectionOptions(options);
    this.role = options.role;
    this.#client = options.role === 'client';
    this.#now = options.now;
    this.#maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.#autoPong = options.autoPong ?? true;
    this.#maxPingsWhileBlocked = options.maxPingsWhileBlocked ?? DEFAULT_MAX_PINGS_WHILE_BLOCKED;
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this.#heartbeat = options.heartbeat;
    this.#idleTimeout = options.idleTimeout;
    this.#random = options.random ?? defaultRandomSource;
    this.#hooks = options.hooks;
    this.#queue =
      options.extension === undefined
        ? undefined
        : new ExtensionQueue(options.extension, Math.min(this.#maxMessageSize, options.streamMessagesAbove ?? Infinity), {
            writeFrame: (opcode, payload, fin, rsv1) => this.#writeFrame(opcode, payload, fin, rsv1),
            decodeFailed: (error, slot) => this.#fail(error, slot),
            encodeFailed: (error) => this.#fail(error),
            settled: () => this.#maybeDispose(),
          }, options.utf8, options.rawText === true);
    this.#tracksTime = this.#heartbeat !== undefined || this.#idleTimeout !== undefined;
    if (this.#tracksTime) {
      const now = this.#now();
      this.#lastReceived = now;
      this.#lastTraffic = now;
    }
    this.#maxFrameSize = options.maxFrameSize ?? this.#maxMessageSize;
    this.#utf8 = options.utf8 ?? defaultUtf8ValidatorFactory;
    this.#rawText = options.rawText === true;
    this.#streamAbove = options.streamMessagesAbove;
  }

  #newDecoder(): FrameDecoder {
    return new FrameDecoder({
      role: this.role,
      maxFrameSize: this.#maxFrameSize,
      // RFC 7692 §6: RSV1 only when an extension was negotiated.
      allowedRsv: this.#queue !== undefined ? { rsv1: true } : undefined,
      streamDataFrames: true,
      // The assembler copies every streamed piece: it unmasks while copying.
      deferStreamUnmask: true,
      hooks: this.#hooks,
    });
  }

  #assemblerNow(): MessageAssembler {
    return (this.#assembler ??= new MessageAssembler({
      maxMessageSize: this.#maxMessageSize,
      utf8: this.#utf8,
      allocate: this.#hooks?.allocate,
      nativeMask: this.#hooks?.mask,
      rawText: this.#rawText,
      streamAbove: this.#streamAbove,
      onStream: (event) => this.#pushEvent(event),
    }));
  }

  /** `'open'`, `'closing'` once a close frame was sent or received or the connection failed, `'closed'` after the `closed` event. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Bytes queued for output and not taken yet, plus bytes of messages waiting on the extension's encode. */
  get bufferedAmount(): number {
    return this.#outBytes + (this.#queue?.queuedBytes ?? 0);
  }

  /** Payload bytes before and after the negotiated extension (permessage-deflate), or `undefined` without one. */
  get deflateStats(): DeflateStats | undefined {
    return this.#queue?.stats;
  }

  /** The protocol error that failed the connection (our close frame carries its code), if any. */
  get failure(): ProtocolError | undefined {
    return this.#failure;
  }

  /**
   * True when the transport should be ended now (after taking the output):
   * as the server once the close handshake is done (RFC 6455 §7.1.1: the
   * server closes TCP first), after a failure, and after a timeout. Call
   * {@link Connection.receiveEof} once the transport has ended.
   */
  get closeTransport(): boolean {
    // Not while our close frame still waits behind data on the extension.
    return this.#closeTransport && this.#queue?.sending !== true;
  }

  // ---- input --------------------------------------------------------------

  /**
   * Bytes from the transport, in any chunking. Takes ownership of `chunk`
   * (payloads are unmasked in place and delivered as views of it). Never
   * throws on peer input.
   *
   * Parsing is lazy: frames are decoded as {@link Connection.readEvent} pulls
   * events, so whatever the application sends in answer to one message goes
   * out before our reaction to the frames after it (an automatic pong, or the
   * close frame for a protocol error), as a peer expects. Pull events after
   * every `receive`; until then the bytes wait in the decoder.
   */
  receive(chunk: Uint8Array): void {
    if (this.#inputDone || chunk.length === 0) return;
    const decoder = (this.#decoder ??= this.#newDecoder());
    if (this.#tracksTime) {
      const now = this.#now();
      this.#lastReceived = now;
      this.#lastTraffic = now;
      this.#pingDeadline = undefined; // any bytes prove the peer alive
    }
    decoder.push(chunk);
  }

  /** Decodes frames until one yields an event (or a pending slot) or the input runs out. */
  #parse(): void {
    const decoder = this.#decoder;
    if (decoder === undefined) return;
    const queued = this.#events.length;
    // Stop as soon as the decoder is swapped out (close frame or failure).
    while (this.#decoder === decoder && this.#events.length === queued) {
      const item = decoder.read();
      if (item === undefined) return;
      switch (item.type) {
        case 'frame':
          if (item.frame.opcode >= 0x8) this.#onControlFrame(item.frame);
          else this.#onAssembled(this.#assemblerNow().frame(item.frame, item.frame.payload));
          break;
        case 'frame-start':
          this.#onAssembled(this.#assemblerNow().frameStart(item.header));
          break;
        case 'frame-data':
          this.#onAssembled(this.#assemblerNow().frameData(item.data, item.last, item.maskKey, item.keyOffset));
          break;
        case 'error':
          this.#fail(item.error);
          break;
      }
    }
  }

  /**
   * The transport ended (the peer's FIN, or an error). Emits `closed`: clean
   * after a finished close handshake, the failure's code after a protocol
   * error, else 1006 (RFC 6455 §7.1.5).
   */
  receiveEof(): void {
    if (this.#state === 'closed') return;
    // Bytes that arrived before the end still count: decode them first.
    while (this.#decoder !== undefined && this.#decoder.bufferedBytes > 0) {
      const queued = this.#events.length;
      this.#parse();
      if (this.#events.length === queued) break;
    }
    this.#discardInput();
    this.#closeTransport = true;
    this.#finishClosed();
  }

  /** The next ready event, in order, or `undefined`. See {@link Connection.pending} for async extensions. */
  readEvent(): ConnectionEvent | undefined {
    for (;;) {
      const events = this.#events;
      if (this.#eventHead === events.length) {
        // Queue empty: decode more input, if any, and look again.
        this.#parse();
        if (this.#eventHead === this.#events.length) return undefined;
        continue;
      }
      const item = events[this.#eventHead]!;
      if (item instanceof PendingSlot) {
        if (!item.settled) return undefined;
        events[this.#eventHead++] = undefined;
        if (item.event !== undefined) return this.#compactEvents(item.event);
        continue;
      }
      events[this.#eventHead++] = undefined;
      return this.#compactEvents(item);
    }
  }

  /**
   * A promise while extension work (decode or encode) is in flight; it
   * resolves when more events or output may be ready. `undefined` otherwise.
   */
  pending(): Promise<void> | undefined {
    return this.#queue?.pending();
  }

  // ---- output -------------------------------------------------------------

  /**
   * Sends a text message (RFC 6455 §5.6). `fin: false` starts or continues a
   * fragmented message; the call with `fin: true` (default) ends it. Bytes are
   * taken as already valid UTF-8 and are not copied: do not modify them until
   * taken from the output. `compress: false` sends a whole message without
   * permessage-deflate even when it was negotiated (already compressed data,
   * or latency that matters more than bytes); the default lets the
   * extension decide (its size threshold).
   *
   * @throws {UsageError} `FW_ERR_CLOSED` after our close frame; `FW_ERR_INVALID_STATE` when a binary fragmented message is in progress.
   */
  sendText(data: string | Uint8Array, fin = true, compress = true): void {
    if (typeof data === 'string' && data.length <= SCRATCH_STRING_LIMIT) {
      // TextEncoder.encode allocates and is slow for short strings;
      // encodeInto a reused scratch buffer is several times faster, and a
      // plain loop beats both for short ASCII. The frame encoder copies
      // small payloads into the frame, so the scratch bytes are only passed
      // on directly when they will be copied at once.
      let written = data.length <= SHORT_ASCII ? asciiInto(data, scratch) : -1;
      if (written < 0) written = textEncoder.encodeInto(data, scratch).written;
      const direct = written <= (this.#client ? SINGLE_BUFFER_FRAME_LIMIT : UNMASKED_JOIN_LIMIT) && this.#queue === undefined;
      // (A view on the ArrayBuffer: half the cost of scratch.subarray().)
      this.#sendData(Opcode.Text, direct ? new Uint8Array(scratch.buffer, 0, written) : scratch.slice(0, written), fin, compress);
      return;
    }
    this.#sendData(Opcode.Text, asBytes(data), fin, compress);
  }

  /** Sends a binary message; see {@link Connection.sendText} for `fin` and `compress`. */
  sendBinary(data: Uint8Array, fin = true, compress = true): void {
    this.#sendData(Opcode.Binary, data, fin, compress);
  }

  /**
   * Sends a message framed once for many connections (`prepareMessage`):
   * its frame bytes go to the output as they are, unless frames already wait
   * behind the extension, in which case it queues after them. A server-only
   * path (client frames are masked, so they differ per connection).
   *
   * @throws {UsageError} `FW_ERR_CLOSED` after our close frame;
   *   `FW_ERR_INVALID_STATE` as a client, while a fragmented message is in
   *   progress, or for a compressed message without a negotiated extension.
   */
  sendPrepared(message: PreparedMessage): void {
    this.#assertCanSend();
    if (this.#client) throw new UsageError('FW_ERR_INVALID_STATE', 'prepared messages are unmasked: server connections only');
    // RFC 6455 §5.4: data frames of two messages never interleave.
    if (this.#sendingOpcode !== 0) throw new UsageError('FW_ERR_INVALID_STATE', 'a fragmented message is in progress');
    const queue = this.#queue;
    if (message.rsv1 && queue === undefined) {
      throw new UsageError('FW_ERR_INVALID_STATE', 'a compressed message needs a negotiated permessage-deflate');
    }
    this.#markTraffic();
    if (queue?.sending === true) {
      queue.send(message.opcode, message.payload, true, false, message.rsv1);
      return;
    }
    (this.#out ??= []).push(message.frame);
    this.#outBytes += message.frame.length;
  }

  /**
   * Sends uncompressed whole-message frames framed once for many
   * connections (`prepareBatch`, a view of some of its messages) as they
   * are. Returns `false`, sending nothing, while frames wait behind the
   * extension: the caller then sends the messages one by one with
   * {@link Connection.sendPrepared}, which queues them in order.
   *
   * @throws {UsageError} as {@link Connection.sendPrepared}.
   */
  sendPreparedFrames(frames: Uint8Array): boolean {
    this.#assertCanSend();
    if (this.#client) throw new UsageError('FW_ERR_INVALID_STATE', 'prepared messages are unmasked: server connections only');
    if (this.#sendingOpcode !== 0) throw new UsageError('FW_ERR_INVALID_STATE', 'a fragmented message is in progress');
    if (this.#queue?.sending === true) return false;
    this.#markTraffic();
    (this.#out ??= []).push(frames);
    this.#outBytes += frames.length;
    return true;
  }

  /**
   * Sends a whole message whose permessage-deflate payload was compressed
   * once for many connections (a topic publish). Only valid when our side
   * keeps no context between messages (`server_no_context_takeover` for a
   * server) and the window matches: the caller checks that. `deflated` may
   * be a promise; frames sent after this one wait for it (RFC 7692 §6:
   * RSV1 on the message's frame).
   *
   * @throws {UsageError} `FW_ERR_CLOSED` after our close frame; `FW_ERR_INVALID_STATE`
   *   without a negotiated extension or while a fragmented message is in progress.
   */
  sendDeflated(opcode: number, payload: Uint8Array, deflated: Uint8Array | Promise<Uint8Array>): void {
    this.#assertCanSend();
    const queue = this.#queue;
    if (queue === undefined) throw new UsageError('FW_ERR_INVALID_STATE', 'a compressed message needs a negotiated permessage-deflate');
    if (this.#sendingOpcode !== 0) throw new UsageError('FW_ERR_INVALID_STATE', 'a fragmented message is in progress');
    this.#markTraffic();
    queue.sendDeflated(opcode, payload, deflated);
  }

  /** Sends a ping (RFC 6455 §5.5.2). @throws {UsageError} over 125 bytes, or after our close frame. */
  ping(data?: Uint8Array | string): void {
    this.#sendControl(Opcode.Ping, asBytes(data));
  }

  /** Sends an unsolicited pong (RFC 6455 §5.5.3). @throws {UsageError} over 125 bytes, or after our close frame. */
  pong(data?: Uint8Array | string): void {
    this.#sendControl(Opcode.Pong, asBytes(data));
  }

  /**
   * Starts the close handshake (RFC 6455 §7.1.2). `code` must be 1000 or
   * 3000-4999 (`isValidApiCloseCode`); without one the close frame has no
   * body. Ignored when a close frame was already sent or the connection is closed.
   *
   * @throws {UsageError} `FW_ERR_INVALID_CLOSE_CODE_ARG`, `FW_ERR_REASON_TOO_LONG`.
   */
  close(code?: number, reason?: string): void {
    if (code !== undefined && !isValidApiCloseCode(code)) {
      throw new UsageError('FW_ERR_INVALID_CLOSE_CODE_ARG', `close code must be 1000 or 3000-4999, got ${code}`);
    }
    this.closeWithLibraryCode(code, reason);
  }

  /**
   * Like {@link Connection.close} but accepts every code valid on the wire
   * (RFC 6455 §7.4.1: 1000-1003, 1007-1014, 3000-4999), for the library's own
   * decisions: 1001 on shutdown, 1008 for a policy, 1011 for an internal error.
   *
   * @throws {UsageError} `FW_ERR_INVALID_CLOSE_CODE_ARG`, `FW_ERR_REASON_TOO_LONG`.
   */
  closeWithLibraryCode(code?: number, reason = ''): void {
    if (code !== undefined && !isValidWireCloseCode(code)) {
      throw new UsageError('FW_ERR_INVALID_CLOSE_CODE_ARG', `close code ${code} may not be sent`);
    }
    const body = encodeClosePayload(code, reason); // validates the reason first
    if (this.#closeSent || this.#state === 'closed') return;
    this.#markTraffic();
    this.#sendClose(body);
  }

  /**
   * Output backpressure: call with `true` when the transport refused more
   * bytes (its write returned false) and with `false` once it drained. While
   * blocked, automatic pongs are not queued: only the latest ping's payload
   * is kept and answered on unblock (RFC 6455 §5.5.3 allows answering only
   * the most recent ping), so a peer that pings and never reads cannot grow
   * our output. Past `maxPingsWhileBlocked` pings the connection fails with
   * 1008.
   */
  setOutputBlocked(blocked: boolean): void {
    if (this.#outputBlocked === blocked) return;
    this.#outputBlocked = blocked;
    if (blocked) return;
    this.#pingsWhileBlocked = 0;
    const held = this.#heldPong;
    this.#heldPong = undefined;
    if (held !== undefined && !this.#closeSent && this.#state === 'open') this.#writeFrame(Opcode.Pong, held, true, false);
  }

  /** Bytes to write now, in order (header and payload may be separate entries). Empties the queue. */
  takeOutput(): Uint8Array[] {
    const out = this.#out;
    if (out === undefined) return [];
    this.#out = undefined;
    this.#outBytes = 0;
    return out;
  }

  // ---- timers ----------------------------------------------------------------

  /** Absolute time (clock of `now()`) at which {@link Connection.handleTimeout} must run next, or `undefined`. */
  pollTimeout(): number | undefined {
    if (this.#state === 'closed') return undefined;
    let next = this.#closeDeadline;
    if (this.#state === 'open') {
      const heartbeat = this.#heartbeat;
      if (heartbeat !== undefined) {
        const due = this.#pingDeadline ?? this.#lastReceived + heartbeat.interval;
        if (next === undefined || due < next) next = due;
      }
      if (this.#idleTimeout !== undefined) {
        const due = this.#lastTraffic + this.#idleTimeout;
        if (next === undefined || due < next) next = due;
      }
    }
    return next;
  }

  /** Acts on every timer due at `now`: close timeout, heartbeat ping or dead peer, idle close. */
  handleTimeout(now: number): void {
    if (this.#state === 'closed') return;
    if (this.#closeDeadline !== undefined && now >= this.#closeDeadline) {
      // RFC 6455 §7.1.1: give up waiting for the peer and end the transport.
      this.#closeTransport = true;
      this.#discardInput();
      this.#finishClosed();
      return;
    }
    if (this.#state !== 'open') return;
    const heartbeat = this.#heartbeat;
    if (heartbeat !== undefined) {
      if (this.#pingDeadline !== undefined) {
        if (now >= this.#pingDeadline) {
          // Dead peer: nothing arrived since our ping. No close frame can
          // help, end the transport and report an abnormal closure.
          this.#closeTransport = true;
          this.#discardInput();
          this.#emitClosed(CloseCode.Abnormal, '', false);
          return;
        }
      } else if (now >= this.#lastReceived + heartbeat.interval) {
        this.#writeFrame(Opcode.Ping, EMPTY, true, false);
        this.#pingDeadline = now + heartbeat.timeout;
      }
    }
    if (this.#idleTimeout !== undefined && now >= this.#lastTraffic + this.#idleTimeout) {
      this.#sendClose(encodeClosePayload(CloseCode.GoingAway, 'idle timeout'));
    }
  }

  // ---- receiving internals ---------------------------------------------------

  #onControlFrame(frame: Frame): void {
    // RFC 7692 §6: RSV1 is for the first frame of a data message only.
    if (frame.rsv1) {
      this.#fail(new ProtocolError('FW_ERR_UNEXPECTED_RSV', CloseCode.ProtocolError, 'RSV1 set on a control frame'));
      return;
    }
    const payload = frame.payload;
    switch (frame.opcode) {
      case Opcode.Ping:
        // RFC 6455 §5.5.2-3: answer with a pong echoing the payload, unless closing.
        this.#pushEvent(pingEvent(payload));
        if (this.#autoPong && !this.#closeSent) this.#answerPing(payload);
        return;
      case Opcode.Pong:
        this.#pushEvent(pongEvent(payload));
        return;
      default:
        this.#onCloseFrame(payload);
    }
  }

  #answerPing(payload: Uint8Array): void {
    if (!this.#outputBlocked) {
      this.#writeFrame(Opcode.Pong, payload, true, false);
      return;
    }
    if (++this.#pingsWhileBlocked > this.#maxPingsWhileBlocked) {
      this.#fail(new ProtocolError('FW_ERR_PING_FLOOD', CloseCode.PolicyViolation, 'too many pings while our pongs are not read'));
      return;
    }
    // A copy: the payload is a view of a received chunk that must not be kept alive.
    this.#heldPong = payload.slice();
  }

  #onCloseFrame(payload: Uint8Array): void {
    const parsed = parseClosePayload(payload);
    if (parsed instanceof ProtocolError) {
      this.#fail(parsed);
      return;
    }
    this.#closeReceived = true;
    this.#receivedCode = parsed.code;
    this.#receivedReason = parsed.reason;
    // STYLE.md lesson 11: nothing after a close frame is read.
    this.#discardInput();
    this.#assembler?.reset();
    this.#pushEvent(closeEvent(parsed.code, parsed.reason));
    if (!this.#closeSent) {
      // RFC 6455 §5.5.1: reply with a close, echoing the status code.
      this.#sendClose(parsed.code === CloseCode.NoStatus ? EMPTY : encodeClosePayload(parsed.code));
    } else {
      this.#handshakeDone();
    }
  }

  #onAssembled(result: AssembledMessage | ProtocolError | undefined): void {
    if (result === undefined) return;
    if (result instanceof ProtocolError) {
      this.#fail(result);
      return;
    }
    if (result.type !== 'compressed') {
      this.#pushEvent(result);
      return;
    }
    // (A compressed message exists only with a negotiated extension.)
    this.#events.push(this.#queue!.decode(result));
  }

  /**
   * Fails the connection (RFC 6455 §7.1.7): our close frame with the error's
   * code goes out first, then the error is reported once; input is
   * discarded and the transport should end. With `slot`, the failure
   * happened at that place in the event order: later events are dropped.
   */
  #fail(error: ProtocolError, slot?: PendingSlot): void {
    if (this.#failure !== undefined || this.#state === 'closed') return;
    this.#failure = error;
    this.#discardInput();
    this.#assembler?.reset();
    if (slot !== undefined) {
      // Messages after the failing one are dropped; earlier ones were delivered.
      this.#queue?.dropDecodes();
      slot.event = errorEvent(error);
      const at = this.#events.indexOf(slot, this.#eventHead);
      if (at >= 0) this.#events.length = at + 1;
    } else {
      this.#pushEvent(errorEvent(error));
    }
    if (!this.#closeSent) {
      // Data still waiting on the extension will never be sent.
      this.#queue?.dropSends();
      this.#sendClose(isValidWireCloseCode(error.closeCode) ? encodeClosePayload(error.closeCode) : EMPTY);
    }
    this.#state = 'closing';
    this.#closeTransport = true;
    this.#closeDeadline = this.#now() + this.#closeTimeout;
  }

  #pushEvent(event: ConnectionEvent): void {
    this.#events.push(event);
  }

  #compactEvents(event: ConnectionEvent): ConnectionEvent {
    if (this.#eventHead === this.#events.length) {
      // Queue drained. Shrinking an array is a runtime call (~4% of a small
      // message echo when done per event), so start afresh once per 64.
      if (this.#eventHead >= 64) {
        this.#events = [];
        this.#eventHead = 0;
      }
    } else if (this.#eventHead >= 1024 && this.#eventHead * 2 >= this.#events.length) {
      this.#events = this.#events.slice(this.#eventHead);
      this.#eventHead = 0;
    }
    return event;
  }

  // ---- closing internals -------------------------------------------------------

  /** Queues our close frame (after data already queued, RFC 6455 §5.5.1) and starts the close timer. */
  #sendClose(body: Uint8Array): void {
    this.#closeSent = true;
    if (this.#state === 'open') this.#state = 'closing';
    const queue = this.#queue;
    if (queue?.sending === true) queue.send(Opcode.Close, body, true, false);
    else this.#writeFrame(Opcode.Close, body, true, false);
    if (this.#closeReceived) this.#handshakeDone();
    else this.#closeDeadline = this.#now() + this.#closeTimeout;
  }

  /** Both close frames exchanged (RFC 6455 §7.1.1). */
  #handshakeDone(): void {
    // The server ends TCP first; the client waits for it, up to the close timeout.
    if (!this.#client) this.#closeTransport = true;
    this.#closeDeadline = this.#now() + this.#closeTimeout;
  }

  #discardInput(): void {
    this.#decoder = undefined;
    this.#inputDone = true;
  }

  #finishClosed(): void {
    if (this.#failure !== undefined) this.#emitClosed(this.#failure.closeCode, '', false);
    else if (this.#closeSent && this.#closeReceived) this.#emitClosed(this.#receivedCode, this.#receivedReason, true);
    else this.#emitClosed(CloseCode.Abnormal, '', false);
  }

  #emitClosed(code: number, reason: string, wasClean: boolean): void {
    this.#state = 'closed';
    this.#closeDeadline = undefined;
    this.#pingDeadline = undefined;
    this.#assembler?.reset();
    // Messages that arrived whole before the end are still decoded and
    // delivered ahead of `closed`; data not yet sent never will be.
    this.#queue?.dropSends();
    this.#pushEvent(closedEvent(code, reason, wasClean));
    this.#maybeDispose();
    this.#queue?.wake();
  }

  /** Releases the extension once closed and no extension call is in flight. */
  #maybeDispose(): void {
    const queue = this.#queue;
    if (this.#state !== 'closed' || queue === undefined || queue.busy) return;
    queue.dispose();
  }

  // ---- sending internals -------------------------------------------------------

  #assertCanSend(): void {
    // RFC 6455 §5.5.1: nothing after our close frame.
    if (this.#closeSent || this.#state === 'closed') {
      throw new UsageError('FW_ERR_CLOSED', 'cannot send after the close frame');
    }
  }

  #sendData(opcode: number, payload: Uint8Array, fin: boolean, compress: boolean): void {
    this.#assertCanSend();
    let frameOpcode = opcode;
    if (this.#sendingOpcode !== 0) {
      if (this.#sendingOpcode !== opcode) {
        throw new UsageError('FW_ERR_INVALID_STATE', 'a fragmented message of the other type is in progress');
      }
      frameOpcode = Opcode.Continuation; // RFC 6455 §5.4
    }
    const whole = fin && frameOpcode !== Opcode.Continuation;
    this.#sendingOpcode = fin ? 0 : opcode;
    this.#markTraffic();
    // Our extension works on whole messages; fragments, and messages the
    // caller asked not to compress, go uncompressed (behind any message
    // still on the extension, to keep the order).
    const queue = this.#queue;
    const encode = whole && compress;
    if (queue === undefined || (!encode && !queue.sending)) {
      this.#writeFrame(frameOpcode, payload, fin, false);
      return;
    }
    queue.send(frameOpcode, payload, fin, encode);
  }

  #sendControl(opcode: number, payload: Uint8Array): void {
    this.#assertCanSend();
    if (payload.length > MAX_CONTROL_PAYLOAD) {
      throw new UsageError('FW_ERR_CONTROL_PAYLOAD_TOO_LONG', 'control frame payload must be at most 125 bytes');
    }
    this.#markTraffic();
    // Control frames may overtake data waiting on the extension (RFC 6455 §5.4).
    this.#writeFrame(opcode, payload, true, false);
  }

  #markTraffic(): void {
    if (this.#idleTimeout !== undefined) this.#lastTraffic = this.#now();
  }

  #writeFrame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean): void {
    const mask = this.#client; // RFC 6455 §5.3: clients mask every frame
    const length = payload.length;
    if (mask || length <= UNMASKED_JOIN_LIMIT) {
      // Small frames: header and payload in one buffer carved from a shared
      // slab (frame.ts), no options object or key allocation per frame.
      // (Unmasked ones only up to UNMASKED_JOIN_LIMIT: past it, writing the
      // payload as it is beats copying it.)
      // Masked frames of any size too: the payload is copied anyway, so one
      // masking copy into one fresh buffer (as ws does) saves the separate
      // header and a second buffer to write.
      const byte0 = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode; // RFC 6455 §5.2
      const bytes = writeFrame(byte0, payload, mask ? nextMaskKey(this.#random) : undefined, this.#hooks);
      (this.#out ??= []).push(bytes);
      this.#outBytes += bytes.length;
      return;
    }
    // A server's larger frame: its header from the slab, then the payload itself (no copy).
    const header = writeUnmaskedHeader((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode, length);
    (this.#out ??= []).push(header, payload);
    this.#outBytes += header.length + length;
  }
}
