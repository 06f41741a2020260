/**
 * Data frames to messages, RFC 6455 §5.4 and §5.6: enforces the continuation
 * rules, the message size limit and incremental UTF-8, and joins the payload
 * once (STYLE.md lesson 6).
 *
 * Memory is bounded by bytes, not by fragment count: fragments are copied
 * into one buffer that grows by doubling, capped at the limit, so a flood of
 * empty fragments costs nothing and a 4 MiB message in 65,536 pieces is fine.
 * A message that arrives as one whole frame is delivered zero-copy.
 *
 * @module
 */
import { allocateForOverwrite, type UninitializedAllocator } from './bytes.js';
import { CloseCode } from './close-code.js';
import { ProtocolError } from './errors.js';
import {
  binaryEvent,
  MESSAGE_END,
  messageDataEvent,
  messageStartEvent,
  rawTextEvent,
  textEvent,
  type BinaryEvent,
  type MessageStreamEvent,
  type TextEvent,
} from './events.js';
import type { FrameHeader } from './frame.js';
import { Opcode } from './opcode.js';
import type { Utf8Validator, Utf8ValidatorFactory } from './utf8.js';
import { mask, unmaskInto, type NativeMask } from './mask.js';

/**
 * A whole message whose payload was sent with RSV1 (RFC 7692 §6): the bytes
 * still need the negotiated extension's `decode`.
 */
export interface CompressedMessage {
  readonly type: 'compressed';
  readonly binary: boolean;
  /** The still encoded payload, fragment by fragment as it arrived (the extension's decode takes a list: no join). */
  readonly fragments: readonly Uint8Array[];
}

/** What {@link MessageAssembler} produces when a message ends. */
export type AssembledMessage = TextEvent | BinaryEvent | CompressedMessage;

/** Options of {@link MessageAssembler}. */
export interface MessageAssemblerOptions {
  /** Largest message in bytes, counted across fragments (1009 beyond). Also bounds compressed bytes. */
  maxMessageSize: number;
  /** Makes the incremental validator for fragmented text. */
  utf8: Utf8ValidatorFactory;
  /** A connection's allocator for buffers it overwrites completely. */
  allocate?: UninitializedAllocator | undefined;
  /** A connection's native mask, for pieces handed over still masked. */
  nativeMask?: NativeMask | undefined;
  /** Deliver text as validated bytes, decoded on demand (see {@link rawTextEvent}). */
  rawText?: boolean | undefined;
  /**
   * Uncompressed messages longer than this many bytes go to `onStream` in
   * pieces instead of being joined. A compressed message cannot be streamed
   * (it is inflated whole), so on such a connection it may hold at most this
   * many compressed bytes (1009 beyond). Default: never stream.
   */
  streamAbove?: number | undefined;
  /** Receives the pieces of streamed messages, in order. Required with `streamAbove`. */
  onStream?: ((event: MessageStreamEvent) => void) | undefined;
}

// WHATWG "fatal" decoding rejects overlongs, surrogates and > U+10FFFF like
// RFC 3629, so for a message present in one piece it validates and decodes in
// one call. ignoreBOM keeps a leading U+FEFF: it is message content.
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Smallest buffer allocated for a fragmented message. */
const MIN_CAPACITY = 1024;

function invalidUtf8(): ProtocolError {
  return new ProtocolError('FW_ERR_INVALID_UTF8', CloseCode.InvalidPayload, 'text message is not valid UTF-8');
}

/**
 * Assembles data frames into messages. Feed it either whole frames
 * ({@link MessageAssembler.frame}) or streamed frames
 * ({@link MessageAssembler.frameStart} then {@link MessageAssembler.frameData}
 * pieces). Each call returns a finished message, a {@link ProtocolError}, or
 * `undefined` while the message is still open. After an error the assembler
 * must not be fed again.
 */
export class MessageAssembler {
  readonly #maxMessageSize: number;
  readonly #utf8Factory: Utf8ValidatorFactory;
  readonly #allocate: UninitializedAllocator | undefined;
  readonly #nativeMask: NativeMask | undefined;
  readonly #rawText: boolean;
  #validator: Utf8Validator | undefined;
  /** Opcode of the open message (Text or Binary), 0 when none is open. */
  #opcode = 0;
  #compressed = false;
  /** FIN of the frame being streamed. */
  #frameFin = false;
  /** Message length once the current frame is complete. */
  #frameEnd = 0;
  #buffer: Uint8Array | undefined;
  #length = 0;
  /** Pieces of an open compressed message, kept as they are for the extension. */
  #fragments: Uint8Array[] | undefined;
  readonly #streamAbove: number;
  readonly #onStream: (event: MessageStreamEvent) => void;
  /** The open message goes out in pieces (it passed `streamAbove`). */
  #streaming = false;

  constructor(options: MessageAssemblerOptions) {
    this.#streamAbove = options.streamAbove ?? Infinity;
    this.#onStream = options.onStream ?? (() => undefined);
    this.#maxMessageSize = options.maxMessageSize;
    this.#utf8Factory = options.utf8;
    this.#allocate = options.allocate;
    this.#nativeMask = options.nativeMask;
    this.#rawText = options.rawText === true;
  }

  /** True while a fragmented message is open (RFC 6455 §5.4). */
  get inMessage(): boolean {
    return this.#opcode !== 0;
  }

  /** Bytes held for the open message (capacity of the join buffer). */
  get bufferedBytes(): number {
    return this.#fragments !== undefined ? this.#length : (this.#buffer?.length ?? 0);
  }

  /** A whole data frame (opcode 0, 1 or 2) with its unmasked payload. */
  frame(header: FrameHeader, payload: Uint8Array): AssembledMessage | ProtocolError | undefined {
    // Fast path: a whole message in one frame, nothing open. Zero-copy.
    if (this.#opcode === 0 && header.fin && header.opcode !== Opcode.Continuation && payload.length <= this.#streamAbove) {
      if (payload.length > this.#maxMessageSize) return this.#tooBig();
      if (header.rsv1) return { type: 'compressed', binary: header.opcode === Opcode.Binary, fragments: [payload] };
      if (header.opcode === Opcode.Binary) return binaryEvent(payload);
      if (this.#rawText) {
        // Validate only (Node: buffer.isUtf8 behind the factory); no string is made.
        const validator = (this.#validator ??= this.#utf8Factory());
        const valid = validator.update(payload);
        return validator.finish() && valid ? rawTextEvent(payload) : invalidUtf8();
      }
      let text: string;
      try {
        text = fatalDecoder.decode(payload);
      } catch {
        return invalidUtf8();
      }
      return textEvent(text);
    }
    const error = this.frameStart(header);
    if (error !== undefined) return error;
    return this.frameData(payload, true);
  }

  /** The header of a data frame whose payload follows in {@link MessageAssembler.frameData} pieces. */
  frameStart(header: FrameHeader): ProtocolError | undefined {
    if (header.opcode === Opcode.Continuation) {
      // RFC 6455 §5.4: a continuation needs an open message.
      if (this.#opcode === 0) {
        return new ProtocolError('FW_ERR_UNEXPECTED_CONTINUATION', CloseCode.ProtocolError, 'continuation frame without a message');
      }
      // RFC 7692 §6: RSV1 marks the first frame of a message only.
      if (header.rsv1) {
        return new ProtocolError('FW_ERR_UNEXPECTED_RSV', CloseCode.ProtocolError, 'RSV1 set on a continuation frame');
      }
    } else {
      // RFC 6455 §5.4: no new data message until the open one is finished.
      if (this.#opcode !== 0) {
        return new ProtocolError('FW_ERR_EXPECTED_CONTINUATION', CloseCode.ProtocolError, 'new data frame inside a fragmented message');
      }
      this.#opcode = header.opcode;
      this.#compressed = header.rsv1;
      this.#length = 0;
      if (header.opcode === Opcode.Text && !header.rsv1) this.#validator ??= this.#utf8Factory();
    }
    // Check the limit on the announced length, before any byte is buffered (STYLE.md lesson 8).
    const total = this.#length + header.payloadLength;
    if (total > this.#maxMessageSize) return this.#tooBig();
    this.#frameFin = header.fin;
    this.#frameEnd = total;
    if (total > this.#streamAbove && !this.#streaming) {
      // Inflating needs the whole message: on a streaming connection a compressed one stays small.
      if (this.#compressed) return this.#tooBig(this.#streamAbove);
      this.#startStream();
    }
    return undefined;
  }

  /** The open message passed the threshold: hand over what was joined so far, then stream the rest. */
  #startStream(): void {
    this.#streaming = true;
    this.#onStream(messageStartEvent(this.#opcode === Opcode.Binary));
    const buffer = this.#buffer;
    // (Already validated as it was copied in.)
    if (buffer !== undefined && this.#length > 0) this.#onStream(messageDataEvent(buffer.subarray(0, this.#length)));
    this.#buffer = undefined;
  }

  /** A piece of a streamed message: validate text (fail fast), then hand it over as is. */
  #streamData(data: Uint8Array, last: boolean, maskKey: Uint8Array | undefined, keyOffset: number): ProtocolError | undefined {
    if (data.length > 0) {
      const end = this.#length + data.length;
      if (end > this.#maxMessageSize) return this.#tooBig();
      // Pieces handed over masked belong to us: unmask in place.
      if (maskKey !== undefined) mask(data, maskKey, keyOffset, this.#nativeMask);
      this.#length = end;
      if (this.#opcode === Opcode.Text && !this.#validator!.update(data)) {
        this.reset();
        return invalidUtf8();
      }
      this.#onStream(messageDataEvent(data));
    }
    if (!last || !this.#frameFin) return undefined;
    // A sequence left open at FIN is invalid (RFC 6455 §8.1).
    const text = this.#opcode === Opcode.Text;
    const complete = !text || this.#validator!.finish();
    this.#reset();
    if (!complete) return invalidUtf8();
    this.#onStream(MESSAGE_END);
    return undefined;
  }

  /**
   * A piece of the current frame's payload; `last` on its final piece. A
   * piece still masked comes with its `maskKey` and `keyOffset` (RFC 6455
   * §5.3 key position of `data[0]`); the assembler then owns its memory and
   * unmasks it while copying it into the message (one pass, not two).
   */
  frameData(
    data: Uint8Array,
    last: boolean,
    maskKey?: Uint8Array,
    keyOffset = 0,
  ): AssembledMessage | ProtocolError | undefined {
    if (this.#streaming) return this.#streamData(data, last, maskKey, keyOffset);
    if (data.length > 0) {
      const start = this.#length;
      const end = start + data.length;
      if (end > this.#maxMessageSize) return this.#tooBig();
      if (this.#compressed) {
        if (maskKey !== undefined) mask(data, maskKey, keyOffset, this.#nativeMask);
        // A small view would pin the whole chunk it came from: copy those.
        (this.#fragments ??= []).push(data.length * 2 < data.buffer.byteLength ? data.slice() : data);
        this.#length = end;
        if (!last || !this.#frameFin) return undefined;
        return this.#finish();
      }
      this.#reserve(end);
      const buffer = this.#buffer!;
      if (maskKey !== undefined) unmaskInto(data, buffer, start, maskKey, keyOffset, this.#nativeMask);
      else buffer.set(data, start);
      this.#length = end;
      // Fail fast: validate each piece as it arrives (RFC 6455 §8.1, STYLE.md lesson 7).
      if (this.#validator !== undefined && this.#opcode === Opcode.Text) {
        if (!this.#validator.update(new Uint8Array(buffer.buffer, buffer.byteOffset + start, data.length))) {
          this.#validator.finish();
          this.#reset();
          return invalidUtf8();
        }
      }
    }
    if (!last || !this.#frameFin) return undefined;
    return this.#finish();
  }

  /** Drops the open message, if any. */
  reset(): void {
    this.#validator?.finish();
    this.#reset();
  }

  #finish(): AssembledMessage | ProtocolError {
    const opcode = this.#opcode;
    if (this.#compressed) {
      const fragments = this.#fragments ?? [];
      this.#reset();
      return { type: 'compressed', binary: opcode === Opcode.Binary, fragments };
    }
    const payload = this.#buffer === undefined ? new Uint8Array(0) : this.#buffer.subarray(0, this.#length);
    this.#reset();
    if (opcode === Opcode.Binary) return binaryEvent(payload);
    // A sequence left open at FIN is invalid (RFC 6455 §8.1).
    if (!this.#validator!.finish()) return invalidUtf8();
    return this.#rawText ? rawTextEvent(payload) : textEvent(lenientDecoder.decode(payload));
  }

  #reserve(needed: number): void {
    const buffer = this.#buffer;
    if (buffer !== undefined && buffer.length >= needed) return;
    // In the final frame the message's size is known: allocate it once.
    // Otherwise double, capped at the limit, so growth is amortised and
    // bounded by bytes actually received.
    const capacity = this.#frameFin
      ? this.#frameEnd
      : Math.min(Math.max(needed, (buffer?.length ?? 0) * 2, MIN_CAPACITY), this.#maxMessageSize);
    // The final frame's exact size is filled before the message leaves; a
    // doubled capacity may not be, and its tail would show through `.buffer`.
    const next = this.#frameFin ? allocateForOverwrite(capacity, this.#allocate) : new Uint8Array(capacity);
    if (buffer !== undefined && this.#length > 0) next.set(buffer.subarray(0, this.#length));
    this.#buffer = next;
  }

  #tooBig(limit = this.#maxMessageSize): ProtocolError {
    this.reset();
    return new ProtocolError('FW_ERR_MESSAGE_TOO_BIG', CloseCode.MessageTooBig, `message exceeds ${limit} bytes`);
  }

  #reset(): void {
    this.#streaming = false;
    this.#opcode = 0;
    this.#compressed = false;
    this.#frameFin = false;
    this.#frameEnd = 0;
    this.#buffer = undefined;
    this.#fragments = undefined;
    this.#length = 0;
  }
}
