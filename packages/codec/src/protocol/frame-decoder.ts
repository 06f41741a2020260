/**
 * Incremental frame decoder, RFC 6455 §5.2.
 *
 * Written by hand (ARCHITECTURE.md: the frame codec is ours). The parser is
 * straight-line steps over a list of pushed chunks with a byte count: a
 * header or payload lying inside one chunk is read in place (a `subarray`,
 * unmasked in place), bytes are copied only across chunk boundaries, and a
 * header split over chunks is gathered in a 14-byte spill buffer.
 *
 * @module
 */
import { allocateForOverwrite, type UninitializedAllocator } from './bytes.js';
import { ProtocolError, UsageError, type ProtocolErrorCode } from './errors.js';
import type { Frame, FrameHeader } from './frame.js';
import type { CodecHooks } from './hooks.js';
import { mask, unmaskInto, type NativeMask } from './mask.js';

/** Which end of the connection we are; decides the masking rule (RFC 6455 §5.1). */
export type FrameDecoderRole = 'server' | 'client';

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * `'server'`: we are the server, every incoming frame must be masked.
   * `'client'`: we are the client, no incoming frame may be masked.
   */
  role: FrameDecoderRole;
  /**
   * Largest payload accepted, in bytes. A longer frame fails with
   * `FW_ERR_FRAME_TOO_BIG` (1009) as soon as its header is read, before any
   * of its payload is buffered. `Infinity` means up to 2^53-1.
   */
  maxFrameSize: number;
  /** RSV bits an extension negotiated (RFC 6455 §5.2); any other set bit fails with 1002. */
  allowedRsv?: { rsv1?: boolean; rsv2?: boolean; rsv3?: boolean } | undefined;
  /**
   * Deliver data frames whose payload is not all buffered yet as
   * `frame-start` + `frame-data` pieces instead of waiting for the whole
   * payload. Control frames are always delivered whole. Default `false`.
   */
  streamDataFrames?: boolean | undefined;
  /**
   * In streaming mode, hand out `frame-data` pieces still masked, with
   * `maskKey` and `keyOffset` set, for a consumer that copies them anyway
   * and can unmask while copying (the message assembler). Default `false`:
   * pieces come out unmasked.
   */
  deferStreamUnmask?: boolean | undefined;
  /** A connection's speed-ups (native unmask, allocator for payloads spanning chunks). */
  hooks?: CodecHooks | undefined;
}

/** A whole frame (payload unmasked). */
export interface FrameResult {
  readonly type: 'frame';
  readonly frame: Frame;
}
/** Streaming mode: the header of a data frame whose payload follows as `frame-data`. */
export interface FrameStartResult {
  readonly type: 'frame-start';
  readonly header: FrameHeader;
}
/**
 * Streaming mode: the next piece of the current frame's payload; `last` on
 * the final one. Unmasked, unless the decoder was made with
 * `deferStreamUnmask`: then a piece of a masked frame carries its key and
 * the key position of its first byte (RFC 6455 §5.3), and the consumer owns
 * the unmasking (the piece's memory is the consumer's to overwrite).
 */
export interface FrameDataResult {
  readonly type: 'frame-data';
  readonly data: Uint8Array;
  readonly last: boolean;
  /** Set only with `deferStreamUnmask`, for a masked frame: the piece is still masked with this key. */
  readonly maskKey?: Uint8Array | undefined;
  /** With `maskKey`: the key position of `data[0]` (payload bytes before this piece). */
  readonly keyOffset?: number | undefined;
}
/** The peer broke the protocol; the decoder is dead from now on. */
export interface FrameErrorResult {
  readonly type: 'error';
  readonly error: ProtocolError;
}
/** One item from {@link FrameDecoder.read}. */
export type FrameDecoderResult = FrameResult | FrameStartResult | FrameDataResult | FrameErrorResult;

const EMPTY = new Uint8Array(0);
/** Header of a frame: 2 bytes, up to 8 of extended length, 4 of mask key. */
const MAX_HEADER_SIZE = 14;
/** Compact the chunk list once this many consumed slots pile up at its front. */
const COMPACT_AFTER = 1024;

// Parser states.
const HEADER = 0; // waiting for a header
const FILL = 1; // copying a payload that spans chunks into one buffer
const STREAM = 2; // handing out payload pieces as they arrive
const DEAD = 3; // failed: everything pushed is discarded

/**
 * Turns bytes into frames. Feed it with {@link FrameDecoder.push}, then call
 * {@link FrameDecoder.read} until it returns `undefined`.
 *
 * Any chunking of the same bytes yields the same frames in the same order
 * (in streaming mode, the same payload bytes once the pieces are joined).
 * Peer faults never throw: they come out as `{ type: 'error', error }` with a
 * {@link ProtocolError} and its close code, after which the decoder is dead
 * (`read()` returns `undefined`, `push()` discards).
 *
 * Memory: besides the chunks you pushed and have not read yet, the decoder
 * holds at most one frame header and one payload of at most `maxFrameSize`.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder({ role: 'server', maxFrameSize: 1 << 20 });
 * socket.on('data', (chunk) => {
 *   decoder.push(chunk);
 *   for (let r = decoder.read(); r !== undefined; r = decoder.read()) {
 *     if (r.type === 'error') return fail(r.error.closeCode, r.error);
 *     if (r.type === 'frame') handle(r.frame);
 *   }
 * });
 * ```
 */
export class FrameDecoder {
  private readonly server: boolean;
  private readonly maxFrameSize: number;
  private readonly streamData: boolean;
  private readonly deferUnmask: boolean;
  /** Bit mask of the RSV bits (0x70 of byte 0) that are allowed. */
  private readonly rsvAllowed: number;

  private chunks: Uint8Array[] = [];
  /** Index of the first unread chunk. */
  private head = 0;
  /** Read position inside `chunks[head]`. */
  private offset = 0;
  /** Unread bytes over all chunks. */
  private buffered = 0;
  /** Allocated on the first split header: most connections never need it. */
  private spill: Uint8Array | undefined = undefined;

  private state = HEADER;
  /** Header of the frame whose payload is being filled or streamed. */
  private header: FrameHeader | undefined = undefined;
  private maskKey: Uint8Array | undefined = undefined;
  private payloadLength = 0;
  /** Payload bytes already copied (FILL) or handed out (STREAM). */
  private done = 0;
  private payload: Uint8Array = EMPTY;
  private failure: ProtocolError | undefined = undefined;
  private readonly nativeMask: NativeMask | undefined;
  private readonly allocate: UninitializedAllocator | undefined;

  /** @throws {UsageError} `FW_ERR_INVALID_ARGUMENT` for a bad role or `maxFrameSize`. */
  constructor(options: FrameDecoderOptions) {
    if (options.role !== 'server' && options.role !== 'client') {
      throw new UsageError('FW_ERR_INVALID_ARGUMENT', "role must be 'server' or 'client'");
    }
    if (typeof options.maxFrameSize !== 'number' || !(options.maxFrameSize >= 0)) {
      throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'maxFrameSize must be a number ≥ 0');
    }
    this.server = options.role === 'server';
    this.maxFrameSize = options.maxFrameSize;
    this.streamData = options.streamDataFrames === true;
    this.deferUnmask = options.deferStreamUnmask === true;
    this.nativeMask = options.hooks?.mask;
    this.allocate = options.hooks?.allocate;
    const rsv = options.allowedRsv;
    this.rsvAllowed =
      (rsv?.rsv1 === true ? 0x40 : 0) | (rsv?.rsv2 === true ? 0x20 : 0) | (rsv?.rsv3 === true ? 0x10 : 0);
  }

  /** Bytes pushed and not consumed yet. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** The error that killed the decoder, if any. */
  get error(): ProtocolError | undefined {
    return this.failure;
  }

  /**
   * Appends received bytes. **Takes ownership of `chunk`**: the decoder
   * unmasks payloads in place inside it and hands out views into it, so the
   * caller must not reuse or modify the chunk's memory afterwards. Payload
   * views returned by {@link read} stay valid (and are not touched again by
   * the decoder) for as long as the caller keeps them.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.state === DEAD) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next decoded item, or `undefined` when more bytes are needed (or the
   * decoder is dead). Payloads are unmasked. A payload lying inside one
   * pushed chunk is a zero-copy view of it; one spanning chunks is copied
   * once into a fresh buffer (each piece unmasked in place first).
   */
  read(): FrameDecoderResult | undefined {
    switch (this.state) {
      case HEADER:
        return this.readHeader();
      case FILL:
        return this.fill();
      case STREAM:
        return this.stream();
      default:
        return undefined;
    }
  }

  private readHeader(): FrameDecoderResult | undefined {
    if (this.buffered < 2) return undefined;
    let chunk = this.chunks[this.head]!;
    let p = this.offset;
    const byte0 = chunk[p]!;
    const byte1 = chunk.length - p >= 2 ? chunk[p + 1]! : this.chunks[this.head + 1]![0]!;

    // Everything knowable from the first two bytes is checked before waiting
    // for the rest of the header, so a bad peer fails fast.
    const opcode = byte0 & 0x0f;
    const fin = (byte0 & 0x80) !== 0;
    // RFC 6455 §5.2: RSV bits must be 0 unless an extension defines them.
    if ((byte0 & 0x70 & ~this.rsvAllowed) !== 0) {
      return this.fail('FW_ERR_UNEXPECTED_RSV', 1002, 'RSV bit set without a negotiated extension');
    }
    // RFC 6455 §5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved.
    if ((opcode > 0x2 && opcode < 0x8) || opcode > 0xa) {
      return this.fail('FW_ERR_RESERVED_OPCODE', 1002, `reserved opcode 0x${opcode.toString(16)}`);
    }
    const control = opcode >= 0x8;
    const length7 = byte1 & 0x7f;
    if (control) {
      // RFC 6455 §5.5: control frames are never fragmented, payload ≤ 125 bytes.
      if (!fin) return this.fail('FW_ERR_CONTROL_FRAGMENTED', 1002, 'fragmented control frame');
      if (length7 > 125) return this.fail('FW_ERR_CONTROL_TOO_LONG', 1002, 'control frame payload over 125 bytes');
    }
    const masked = (byte1 & 0x80) !== 0;
    // RFC 6455 §5.1: client-to-server frames are masked, server-to-client frames are not.
    if (masked !== this.server) {
      return this.server
        ? this.fail('FW_ERR_MASK_REQUIRED', 1002, 'client frame is not masked')
        : this.fail('FW_ERR_MASK_FORBIDDEN', 1002, 'server frame is masked');
    }
    const lengthBytes = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const headerSize = 2 + lengthBytes + (masked ? 4 : 0);
    if (this.buffered < headerSize) return undefined;
    if (chunk.length - p < headerSize) {
      // Header split over chunks: gather it in the spill buffer.
      const spill = (this.spill ??= new Uint8Array(MAX_HEADER_SIZE));
      this.copyOut(spill, headerSize);
      chunk = spill;
      p = 0;
    } else {
      this.consume(headerSize);
    }
    p += 2;

    let payloadLength = length7;
    if (lengthBytes === 2) {
      payloadLength = (chunk[p]! << 8) | chunk[p + 1]!;
      p += 2;
    } else if (lengthBytes === 8) {
      const high = ((chunk[p]! << 24) | (chunk[p + 1]! << 16) | (chunk[p + 2]! << 8) | chunk[p + 3]!) >>> 0;
      const low = ((chunk[p + 4]! << 24) | (chunk[p + 5]! << 16) | (chunk[p + 6]! << 8) | chunk[p + 7]!) >>> 0;
      p += 8;
      // RFC 6455 §5.2: "the most significant bit MUST be 0".
      if (high > 0x7fffffff) return this.fail('FW_ERR_LENGTH_TOP_BIT', 1002, '64-bit payload length has its top bit set');
      // Above 2^53-1 a double cannot hold the length exactly: simply too big.
      if (high > 0x1fffff) return this.tooBig();
      payloadLength = high * 0x1_0000_0000 + low;
    }
    if (payloadLength > this.maxFrameSize) return this.tooBig();

    let maskKey: Uint8Array | undefined;
    if (masked) {
      // A fresh 4-byte array is cheaper than a view (subarray) in V8 and
      // does not keep the chunk alive.
      maskKey = new Uint8Array(4);
      maskKey[0] = chunk[p]!;
      maskKey[1] = chunk[p + 1]!;
      maskKey[2] = chunk[p + 2]!;
      maskKey[3] = chunk[p + 3]!;
    }

    if (payloadLength === 0) {
      return { type: 'frame', frame: makeFrame(byte0, masked, maskKey, 0, EMPTY) };
    }
    // Fast path: the whole payload lies in the current chunk. Zero-copy.
    const first = this.chunks[this.head];
    if (first !== undefined && first.length - this.offset >= payloadLength) {
      const start = this.offset;
      const payload = view(first, start, payloadLength);
      if (maskKey !== undefined) mask(payload, maskKey, 0, this.nativeMask);
      this.consume(payloadLength);
      return { type: 'frame', frame: makeFrame(byte0, masked, maskKey, payloadLength, payload) };
    }

    this.maskKey = maskKey;
    this.payloadLength = payloadLength;
    this.done = 0;
    if (this.streamData && !control && this.buffered < payloadLength) {
      const header = makeHeader(byte0, masked, maskKey, payloadLength);
      this.header = header;
      this.state = STREAM;
      return { type: 'frame-start', header };
    }
    // The size is known and already checked against maxFrameSize: allocate once.
    this.payload = allocateForOverwrite(payloadLength, this.allocate);
    this.header = makeHeader(byte0, masked, maskKey, payloadLength);
    this.state = FILL;
    return this.fill();
  }

  /** Copies buffered payload bytes into `this.payload`; emits the frame once full. */
  private fill(): FrameDecoderResult | undefined {
    const payload = this.payload;
    const key = this.maskKey;
    while (this.buffered > 0 && this.done < this.payloadLength) {
      const chunk = this.chunks[this.head]!;
      const n = Math.min(chunk.length - this.offset, this.payloadLength - this.done);
      const piece = view(chunk, this.offset, n);
      // Unmask while copying (the chunk is ours, so unmaskInto may instead
      // unmask in place then memcpy where that is faster: see there).
      if (key !== undefined) unmaskInto(piece, payload, this.done, key, this.done, this.nativeMask);
      else payload.set(piece, this.done);
      this.done += n;
      this.consume(n);
    }
    if (this.done < this.payloadLength) return undefined;
    const h = this.header!;
    const frame: Frame = {
      fin: h.fin,
      rsv1: h.rsv1,
      rsv2: h.rsv2,
      rsv3: h.rsv3,
      opcode: h.opcode,
      masked: h.masked,
      maskKey: h.maskKey,
      payloadLength: h.payloadLength,
      payload,
    };
    this.endPayload();
    return { type: 'frame', frame };
  }

  /** Hands out the next buffered piece of a streamed payload. */
  private stream(): FrameDecoderResult | undefined {
    if (this.buffered === 0) return undefined;
    const chunk = this.chunks[this.head]!;
    const n = Math.min(chunk.length - this.offset, this.payloadLength - this.done);
    const data = view(chunk, this.offset, n);
    const key = this.maskKey;
    const keyOffset = this.done;
    this.done += n;
    this.consume(n);
    const last = this.done === this.payloadLength;
    if (last) this.endPayload();
    if (key !== undefined) {
      if (this.deferUnmask) return { type: 'frame-data', data, last, maskKey: key, keyOffset };
      mask(data, key, keyOffset, this.nativeMask);
    }
    return { type: 'frame-data', data, last };
  }

  private endPayload(): void {
    this.state = HEADER;
    this.header = undefined;
    this.maskKey = undefined;
    this.payload = EMPTY;
  }

  /** Drops `n` bytes (≤ buffered) from the front of the chunk list. */
  private consume(n: number): void {
    this.buffered -= n;
    let offset = this.offset + n;
    const chunks = this.chunks;
    while (this.head < chunks.length && offset >= chunks[this.head]!.length) {
      offset -= chunks[this.head]!.length;
      chunks[this.head] = EMPTY; // let the chunk be collected
      this.head++;
    }
    this.offset = offset;
    if (this.head === chunks.length) {
      chunks.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER) {
      this.chunks = chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** Copies the next `n` buffered bytes (n ≤ buffered) into `target` and consumes them. */
  private copyOut(target: Uint8Array, n: number): void {
    let written = 0;
    while (written < n) {
      const chunk = this.chunks[this.head]!;
      const take = Math.min(chunk.length - this.offset, n - written);
      target.set(view(chunk, this.offset, take), written);
      written += take;
      this.consume(take);
    }
  }

  private tooBig(): FrameErrorResult {
    return this.fail('FW_ERR_FRAME_TOO_BIG', 1009, `frame payload over maxFrameSize (${this.maxFrameSize} bytes)`);
  }

  private fail(code: ProtocolErrorCode, closeCode: number, message: string): FrameErrorResult {
    const error = new ProtocolError(code, closeCode, message);
    this.failure = error;
    this.state = DEAD;
    // Release everything: a dead decoder discards input until EOF.
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.buffered = 0;
    this.header = undefined;
    this.maskKey = undefined;
    this.payload = EMPTY;
    return { type: 'error', error };
  }
}

/**
 * A view of `length` bytes of `chunk` from `start`, always a plain
 * `Uint8Array`. Built on the ArrayBuffer rather than with `subarray()`: on a
 * Node `Buffer` that goes through the species constructor (FastBuffer),
 * about 2x the cost, and it is paid once per frame.
 */
function view(chunk: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset + start, length);
}

// One object shape per kind keeps property access monomorphic on the hot path.
function makeHeader(byte0: number, masked: boolean, maskKey: Uint8Array | undefined, payloadLength: number): FrameHeader {
  return {
    fin: (byte0 & 0x80) !== 0,
    rsv1: (byte0 & 0x40) !== 0,
    rsv2: (byte0 & 0x20) !== 0,
    rsv3: (byte0 & 0x10) !== 0,
    opcode: byte0 & 0x0f,
    masked,
    maskKey,
    payloadLength,
  };
}

function makeFrame(
  byte0: number,
  masked: boolean,
  maskKey: Uint8Array | undefined,
  payloadLength: number,
  payload: Uint8Array,
): Frame {
  return {
    fin: (byte0 & 0x80) !== 0,
    rsv1: (byte0 & 0x40) !== 0,
    rsv2: (byte0 & 0x20) !== 0,
    rsv3: (byte0 & 0x10) !== 0,
    opcode: byte0 & 0x0f,
    masked,
    maskKey,
    payloadLength,
    payload,
  };
}
