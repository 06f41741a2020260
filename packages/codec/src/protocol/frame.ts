/**
 * Frame types and the frame encoder, RFC 6455 §5.2.
 *
 * Written by hand: the frame codec is the part no well-kept isomorphic
 * library provides (ARCHITECTURE.md). The encoder is pure and copy-minimising:
 * {@link encodeFrame} returns header and payload separately for vectored
 * writes, {@link encodeFrameToBuffer} gives one buffer for small frames,
 * carved from a shared slab (allocating a small typed array costs more than
 * encoding the frame into it).
 *
 * @module
 */
import { allocateShiftedForOverwrite } from './bytes.js';
import type { CodecHooks } from './hooks.js';
import { UsageError } from './errors.js';
import { activeNativeMask, maskInto } from './mask.js';
import { isControlOpcode } from './opcode.js';
import { defaultRandomSource, type RandomSource } from './random.js';

/** The fields of a frame header, RFC 6455 §5.2. */
export interface FrameHeader {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  /** 4 bits. Decoded headers only carry known opcodes (others fail decoding). */
  readonly opcode: number;
  readonly masked: boolean;
  /** The 4-byte masking key when `masked`, else `undefined`. */
  readonly maskKey: Uint8Array | undefined;
  /** Payload length in bytes, at most 2^53-1. */
  readonly payloadLength: number;
}

/** A whole frame. `payload` is always unmasked application data. */
export interface Frame extends FrameHeader {
  readonly payload: Uint8Array;
}

/** Largest payload a 7-bit length carries (RFC 6455 §5.2); also the control frame limit (§5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/**
 * Suggested cut-off for {@link encodeFrameToBuffer}: below this payload size
 * one allocation plus a copy is cheaper than two writes.
 */
export const SINGLE_BUFFER_FRAME_LIMIT = 16 * 1024;

/**
 * The cut-off a server `Connection` uses for its unmasked frames: up to this
 * payload size header and payload are joined in one buffer (one copy),
 * larger payloads go out as they are behind their own header. Lower than
 * {@link SINGLE_BUFFER_FRAME_LIMIT} because on Node a two-buffer write beat
 * the copy of a 16 KiB payload (16 KiB text echo vs ws + bufferutil: 1.27–1.39×
 * joined, 0.94–1.04× not; `pnpm bench --quick`, quiet, 2026-12-03).
 * Masked frames are always one buffer: masking copies the payload anyway.
 */
export const UNMASKED_JOIN_LIMIT = 4 * 1024;

/** Input of {@link encodeFrameHeader} and {@link writeFrameHeader}. */
export interface FrameHeaderOptions {
  /** Default `true`. */
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** 0-15. Reserved values are accepted here so tests can build any header. */
  opcode: number;
  /** 0 to 2^53-1. */
  payloadLength: number;
  /** 4 bytes: sets the MASK bit and writes the key. Omit for an unmasked frame. */
  maskKey?: Uint8Array | undefined;
}

/** Input of {@link encodeFrame} and {@link encodeFrameToBuffer}. */
export interface EncodeFrameOptions {
  /** Default `true`. */
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** 0-15; control opcodes (0x8-0xF) require `fin` and at most 125 bytes (RFC 6455 §5.5). */
  opcode: number;
  /** Unmasked application data. Never modified. */
  payload: Uint8Array;
  /**
   * Mask the frame (clients must, RFC 6455 §5.3) with a fresh key from
   * `randomSource`. Ignored when `maskKey` is given.
   */
  mask?: boolean;
  /** Use this 4-byte key instead of a random one (tests, RFC examples). */
  maskKey?: Uint8Array | undefined;
  /** Where mask keys come from. Default: pooled `crypto.getRandomValues`. */
  randomSource?: RandomSource;
  /** A connection's speed-ups (native mask, allocator). */
  hooks?: CodecHooks | undefined;
}

/**
 * Size in bytes of the header for a payload of `payloadLength` bytes, using
 * the shortest length form (RFC 6455 §5.2: 7-bit, 16-bit or 64-bit).
 */
export function frameHeaderSize(payloadLength: number, masked: boolean): number {
  const lengthBytes = payloadLength <= 125 ? 0 : payloadLength <= 0xffff ? 2 : 8;
  return 2 + lengthBytes + (masked ? 4 : 0);
}

function checkHeader(opts: FrameHeaderOptions): void {
  const { opcode, payloadLength, maskKey } = opts;
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 0xf) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', `opcode must be 0-15, got ${opcode}`);
  }
  if (!Number.isSafeInteger(payloadLength) || payloadLength < 0) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', `payloadLength must be 0 to 2^53-1, got ${payloadLength}`);
  }
  if (maskKey !== undefined && maskKey.length !== 4) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'maskKey must be 4 bytes');
  }
}

/**
 * Writes a frame header into `target` at `offset` and returns the number of
 * bytes written ({@link frameHeaderSize}). Checks only what cannot be
 * encoded (opcode range, length range, key size); RFC rules about control
 * frames are left to {@link encodeFrame} so tests can build invalid frames.
 *
 * @throws {UsageError} `FW_ERR_INVALID_ARGUMENT` for an unencodable header or too small a target.
 */
export function writeFrameHeader(target: Uint8Array, offset: number, opts: FrameHeaderOptions): number {
  checkHeader(opts);
  const size = frameHeaderSize(opts.payloadLength, opts.maskKey !== undefined);
  if (!Number.isInteger(offset) || offset < 0 || offset + size > target.length) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'writeFrameHeader: target too small');
  }
  return putHeader(target, offset, firstByte(opts), opts.payloadLength, opts.maskKey);
}

/** RFC 6455 §5.2: FIN, RSV1-3 and the opcode share the first byte. */
function firstByte(opts: FrameHeaderOptions | EncodeFrameOptions): number {
  return (
    (opts.fin === false ? 0 : 0x80) |
    (opts.rsv1 === true ? 0x40 : 0) |
    (opts.rsv2 === true ? 0x20 : 0) |
    (opts.rsv3 === true ? 0x10 : 0) |
    opts.opcode
  );
}

/** Writes an already checked header; returns its size. */
function putHeader(
  target: Uint8Array,
  offset: number,
  byte0: number,
  payloadLength: number,
  maskKey: Uint8Array | undefined,
): number {
  target[offset] = byte0;
  const maskBit = maskKey !== undefined ? 0x80 : 0;
  let p = offset + 2;
  // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
  if (payloadLength <= 125) {
    target[offset + 1] = maskBit | payloadLength;
  } else if (payloadLength <= 0xffff) {
    target[offset + 1] = maskBit | 126;
    target[p] = payloadLength >>> 8;
    target[p + 1] = payloadLength & 0xff;
    p += 2;
  } else {
    target[offset + 1] = maskBit | 127;
    // 64-bit big-endian; the top bit stays 0 because lengths are ≤ 2^53-1.
    const high = Math.floor(payloadLength / 0x1_0000_0000);
    const low = payloadLength >>> 0;
    target[p] = high >>> 24;
    target[p + 1] = (high >>> 16) & 0xff;
    target[p + 2] = (high >>> 8) & 0xff;
    target[p + 3] = high & 0xff;
    target[p + 4] = low >>> 24;
    target[p + 5] = (low >>> 16) & 0xff;
    target[p + 6] = (low >>> 8) & 0xff;
    target[p + 7] = low & 0xff;
    p += 8;
  }
  if (maskKey !== undefined) {
    target[p] = maskKey[0]!;
    target[p + 1] = maskKey[1]!;
    target[p + 2] = maskKey[2]!;
    target[p + 3] = maskKey[3]!;
    p += 4;
  }
  return p - offset;
}

/**
 * Encodes a frame header alone (shortest length form, RFC 6455 §5.2).
 *
 * @example
 * ```ts
 * const header = encodeFrameHeader({ opcode: Opcode.Binary, payloadLength: 70000 });
 * // header.length === 10: 2 bytes + 64-bit length
 * ```
 */
export function encodeFrameHeader(opts: FrameHeaderOptions): Uint8Array {
  checkHeader(opts);
  const header = new Uint8Array(frameHeaderSize(opts.payloadLength, opts.maskKey !== undefined));
  putHeader(header, 0, firstByte(opts), opts.payloadLength, opts.maskKey);
  return header;
}

function checkFrame(opts: EncodeFrameOptions): void {
  const { opcode } = opts;
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 0xf) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', `opcode must be 0-15, got ${opcode}`);
  }
  if (opts.maskKey !== undefined && opts.maskKey.length !== 4) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'maskKey must be 4 bytes');
  }
  // RFC 6455 §5.5: control frames are at most 125 bytes and never fragmented.
  if (isControlOpcode(opts.opcode)) {
    if (opts.payload.length > MAX_CONTROL_PAYLOAD) {
      throw new UsageError('FW_ERR_CONTROL_PAYLOAD_TOO_LONG', 'control frame payload must be at most 125 bytes');
    }
    if (opts.fin === false) {
      throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'control frames cannot be fragmented');
    }
  }
}

// Keys for the default source are drawn 4 at a time from a pooled block,
// like ws does: one random call per 1024 masked frames.
const KEY_POOL_SIZE = 4096;
const keyPool = new Uint8Array(KEY_POOL_SIZE);
let keyPoolOffset = KEY_POOL_SIZE;
/**
 * Scratch for generated keys: written into the header and used for masking
 * right away, so one shared array avoids an allocation per frame.
 */
const scratchKey = new Uint8Array(4);

/** Picks the mask key: `opts.maskKey`, a new random key ({@link nextMaskKey}), or none. */
function resolveMaskKey(opts: EncodeFrameOptions): Uint8Array | undefined {
  if (opts.maskKey !== undefined) return opts.maskKey;
  if (opts.mask !== true) return undefined;
  return nextMaskKey(opts.randomSource);
}

/**
 * A fresh random mask key (RFC 6455 §5.3) from `source`, or from the pooled
 * default. Returned in a shared 4-byte array: valid until the next call, so
 * use it for one frame right away.
 *
 * @internal
 */
export function nextMaskKey(source: RandomSource | undefined): Uint8Array {
  // The default source is served from our own pool without a call per frame
  // (its generic path copies through a subarray, ~3x the cost of this).
  if (source !== undefined && source !== defaultRandomSource) {
    source(scratchKey);
    return scratchKey;
  }
  if (keyPoolOffset === KEY_POOL_SIZE) {
    defaultRandomSource(keyPool);
    keyPoolOffset = 0;
  }
  // Rotate the pooled bytes into the shared scratch key (no allocation).
  scratchKey[0] = keyPool[keyPoolOffset]!;
  scratchKey[1] = keyPool[keyPoolOffset + 1]!;
  scratchKey[2] = keyPool[keyPoolOffset + 2]!;
  scratchKey[3] = keyPool[keyPoolOffset + 3]!;
  keyPoolOffset += 4;
  return scratchKey;
}

/** Up to this many payload bytes are copied by a loop rather than `set()`. */
const SMALL_COPY = 32;

/** Payloads at least this long are masked into a buffer aligned like the source. */
const ALIGN_MIN = 256;

// Small frame buffers are carved from shared slabs, as Node's
// Buffer.allocUnsafe does: a fresh typed array costs ~0.9 µs at 1 KiB (an
// ArrayBuffer backing store, zeroed and tracked by the GC), a slab region
// ~0.07 µs. A region is handed out once and never reused, so callers own
// what they get; only the ArrayBuffer is shared (do not transfer it). Frames
// up to about a quarter of a slab use it, so a live frame pins at most ~4x
// its size.
const SLAB_SIZE = 64 * 1024;
/** Every frame with a payload up to SINGLE_BUFFER_FRAME_LIMIT fits (14 bytes of header at most). */
const SLAB_FRAME_LIMIT = SINGLE_BUFFER_FRAME_LIMIT + 14;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabOffset = 0;

/**
 * A buffer of `size` bytes, from the slab when small. `alignAt` bytes into
 * it start at the same offset modulo 4 as `alignWith` (the payload), so
 * maskInto can read and write whole words.
 */
function allocateFrameBuffer(
  size: number,
  alignAt: number,
  alignWith: number,
  hooks: CodecHooks | undefined,
  nativeMasking: boolean,
): Uint8Array {
  if (size > SLAB_FRAME_LIMIT) {
    // Large: a fresh buffer, shifted for the JS word loop's alignment. A
    // native mask aligns on the source by itself, so then the buffer is
    // exactly the frame (no shifted view, no zeroed gap), as ws's is.
    const shift = nativeMasking ? 0 : (alignWith - alignAt) & 3;
    return allocateShiftedForOverwrite(size, shift, hooks?.allocate);
  }
  let start = slabOffset + ((alignWith - slabOffset - alignAt) & 3);
  if (start + size > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    start = (alignWith - alignAt) & 3;
  }
  slabOffset = start + size;
  // A view built on the ArrayBuffer: half the cost of slab.subarray() (~17
  // vs ~32 ns), which goes through the species constructor lookup.
  return new Uint8Array(slab, start, size);
}

/**
 * Encodes a frame as `[header, payload]` for a vectored write (write both,
 * header first). Without a mask the payload is returned as the same object,
 * zero-copy: do not modify it until written. With a mask (`mask: true` or
 * `maskKey`) the payload is masked into a fresh buffer in one pass and the
 * caller's bytes are left untouched.
 *
 * @throws {UsageError} for a control frame over 125 bytes or with `fin: false`, or an unencodable header.
 * @example
 * ```ts
 * const [header, body] = encodeFrame({ opcode: Opcode.Binary, payload, mask: true });
 * socket.writev([header, body]);
 * ```
 */
export function encodeFrame(opts: EncodeFrameOptions): [header: Uint8Array, payload: Uint8Array] {
  checkFrame(opts);
  const maskKey = resolveMaskKey(opts);
  const payload = opts.payload;
  const header = new Uint8Array(frameHeaderSize(payload.length, maskKey !== undefined));
  putHeader(header, 0, firstByte(opts), payload.length, maskKey);
  if (maskKey === undefined) return [header, payload];
  // Start a large fresh buffer at the same offset modulo 4 as the source so
  // maskInto reads and writes aligned words. Not for small ones: a view of a
  // small array makes V8 move it off its heap, which costs more than it saves.
  let masked: Uint8Array;
  if (payload.length >= ALIGN_MIN) {
    const shift = activeNativeMask(opts.hooks?.mask) !== undefined ? 0 : payload.byteOffset & 3;
    masked = allocateShiftedForOverwrite(payload.length, shift, opts.hooks?.allocate);
  } else {
    masked = new Uint8Array(payload.length);
  }
  maskInto(payload, masked, 0, maskKey, 0, opts.hooks?.mask);
  return [header, masked];
}

/**
 * Encodes a frame into a single buffer: header then payload, masked if
 * asked. The form to use for small frames, where one write beats two (see
 * {@link SINGLE_BUFFER_FRAME_LIMIT}), and for masked frames of any size,
 * whose payload is copied anyway: one masking copy into one buffer.
 *
 * Buffers of up to 16 KiB are views into a shared slab (like Node's
 * `Buffer.allocUnsafe`): the bytes are yours, but the `ArrayBuffer` behind
 * them is shared, so never transfer or detach it, nor read past the view.
 *
 * @throws {UsageError} as {@link encodeFrame}.
 */
export function encodeFrameToBuffer(opts: EncodeFrameOptions): Uint8Array {
  checkFrame(opts);
  return writeFrame(firstByte(opts), opts.payload, resolveMaskKey(opts), opts.hooks);
}

/**
 * The header of an unmasked frame whose payload is written as it is (a
 * server's large frames), carved from the slab: a fresh 2-10 byte typed
 * array lives on V8's heap, and a socket write must first move it off
 * (`.buffer`), which cost more than the rest of building the frame.
 *
 * @internal
 */
export function writeUnmaskedHeader(byte0: number, payloadLength: number): Uint8Array {
  const size = frameHeaderSize(payloadLength, false);
  // alignWith = slabOffset: a header needs no alignment, take the next free byte.
  const out = allocateFrameBuffer(size, 0, slabOffset, undefined, false);
  putHeader(out, 0, byte0, payloadLength, undefined);
  return out;
}

/**
 * Header and (masked) payload in one buffer, for an already checked frame.
 * The fast path behind {@link encodeFrameToBuffer}, also used by the
 * connection for its small frames (no options object per frame).
 *
 * @internal
 */
export function writeFrame(byte0: number, payload: Uint8Array, maskKey: Uint8Array | undefined, hooks?: CodecHooks): Uint8Array {
  const length = payload.length;
  const headerSize = frameHeaderSize(length, maskKey !== undefined);
  const nativeMasking = maskKey !== undefined && activeNativeMask(hooks?.mask) !== undefined;
  const out = allocateFrameBuffer(headerSize + length, headerSize, payload.byteOffset, hooks, nativeMasking);
  putHeader(out, 0, byte0, length, maskKey);
  if (maskKey !== undefined) maskInto(payload, out, headerSize, maskKey, 0, hooks?.mask);
  else if (length > SMALL_COPY) out.set(payload, headerSize);
  else {
    // TypedArray.prototype.set is a builtin call costing more than copying
    // a few bytes by hand.
    for (let i = 0; i < length; i++) out[headerSize + i] = payload[i]!;
  }
  return out;
}
