/**
 * Payload masking, RFC 6455 §5.3: byte i of the payload is XORed with byte
 * (i mod 4) of the 4-byte masking key. Masking and unmasking are the same
 * operation.
 *
 * Written by hand because it is the hottest loop of the codec and no portable
 * library does it without native code. The fast path XORs 32-bit words through
 * an `Int32Array` view over the 4-byte-aligned middle of the buffer; the
 * unaligned head and tail, and short buffers, go byte by byte.
 *
 * Pure TypeScript tops out around 5-7 GB/s here; a native SIMD loop (Node's
 * `bufferutil`) does 15-25 GB/s. {@link setNativeMask} lets an adapter plug
 * such a function in for long payloads without the codec depending on it.
 *
 * @module
 */

import { UsageError } from './errors.js';

/**
 * Below this many bytes the byte loop wins. It also keeps us from touching
 * `.buffer` of small typed arrays: V8 keeps arrays of up to 64 bytes on its
 * heap and moving one out costs far more than masking it bytewise.
 */
const WORD_THRESHOLD = 72;

// Byte order of this platform, read once: the word path must build the
// 32-bit key so that its bytes land on the payload in key order.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The key as one signed 32-bit word in memory order, rotated so that its
 * first byte is `key[keyOffset & 3]`. Signed, to match the `Int32Array`
 * views: V8 then keeps every XOR in a 32-bit register (with `Uint32Array`
 * and `>>> 0` words above 2^31 it falls back to doubles; measured 1.3x slower).
 */
function keyWord(key: Uint8Array, keyOffset: number): number {
  const k0 = key[keyOffset & 3]!;
  const k1 = key[(keyOffset + 1) & 3]!;
  const k2 = key[(keyOffset + 2) & 3]!;
  const k3 = key[(keyOffset + 3) & 3]!;
  return LITTLE_ENDIAN ? k0 | (k1 << 8) | (k2 << 16) | (k3 << 24) : (k0 << 24) | (k1 << 16) | (k2 << 8) | k3;
}

/**
 * A native masking function with the signature of Node's `bufferutil.mask`:
 * writes `output[offset + i] = source[i] ^ mask[i & 3]` for `i < length`.
 * It must accept any `Uint8Array` (bufferutil does) and must not keep them.
 */
export type NativeMask = (source: Uint8Array, mask: Uint8Array, output: Uint8Array, offset: number, length: number) => void;

/**
 * Copying (maskInto: encode, and unmasking into a message buffer): from this
 * many bytes a native call beats the JS loop, which must read and write two
 * arrays (`bench/mask-threshold.bench.mjs`, Node 20 + bufferutil: native
 * already wins at 128 B).
 */
const NATIVE_THRESHOLD = 256;
/**
 * In place (mask: a payload unmasked inside the socket chunk it arrived in):
 * the JS word loop is at its fastest there, and in the decoder a native call
 * costs more than it saves until the payload is a few KiB. Measured with
 * `bench/mask-threshold.bench.mjs` (FrameDecoder, masked frames in 64 KiB
 * chunks, variants interleaved; Node 20 + bufferutil, two runs on a machine
 * under load): JS ahead at 1 KiB (1.3-1.8x) and 2 KiB (1.1x), a toss-up at
 * 4 KiB (native 0.94-1.46x), native ahead from 8 KiB (1.9-2.2x).
 */
const NATIVE_IN_PLACE_THRESHOLD = 4 * 1024;
let nativeMask: NativeMask | undefined;
/**
 * The key handed to native calls, rotated for `keyOffset` (they start at key
 * byte 0). Always this one array: a fresh 4-byte key (the decoder makes one
 * per frame) lives on V8's heap, and a native call must first move it off,
 * which measured ~0.3 µs per call (Node 20, bufferutil, 256 B: 370-460 ns
 * with a fresh key, 70-130 ns with this one); this one was moved once.
 */
const rotatedKey = new Uint8Array(4);

/**
 * Plugs in (or, with `undefined`, removes) a native masking function used by
 * {@link mask}, {@link maskInto} and therefore the frame encoder and decoder
 * for payloads long enough for a native call to pay (256 bytes when
 * copying, 4 KiB in place: see the thresholds above). Process-wide, for code that calls the
 * frame functions directly; a connection takes its own `hooks.mask`
 * ({@link CodecHooks}), which is what the adapters pass. E.g. on Node:
 *
 * @example
 * ```ts
 * try {
 *   const { mask } = require('bufferutil'); // optional, never a dependency
 *   setNativeMask(mask);
 * } catch {}
 * ```
 *
 * The function must compute exactly RFC 6455 §5.3 masking; the codec does
 * not check it.
 */
export function setNativeMask(fn: NativeMask | undefined): void {
  nativeMask = fn;
}

/**
 * The native mask a call with `native` would use for a long payload (the
 * connection's own, else the process-wide one), `undefined` when masking is
 * pure JS. Callers that lay out buffers for the JS word loop (alignment
 * shifts) skip that work when a native function will do the masking.
 *
 * @internal
 */
export function activeNativeMask(native: NativeMask | undefined): NativeMask | undefined {
  return native ?? nativeMask;
}

/** The key to hand a native function whose first byte applies to `keyOffset`. */
function keyAt(key: Uint8Array, keyOffset: number): Uint8Array {
  rotatedKey[0] = key[keyOffset & 3]!;
  rotatedKey[1] = key[(keyOffset + 1) & 3]!;
  rotatedKey[2] = key[(keyOffset + 2) & 3]!;
  rotatedKey[3] = key[(keyOffset + 3) & 3]!;
  return rotatedKey;
}

function checkKey(key: Uint8Array): void {
  // A short key would make `key[i & 3]` undefined and silently XOR with 0.
  if (key.length < 4) throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'mask key must be 4 bytes');
}

/**
 * Byte-at-a-time copy+mask with the key held in locals, unrolled by four
 * (measured twice as fast as `key[(keyOffset + i) & 3]` per byte). `src` and
 * `dst` may be the same array (in-place masking).
 */
function maskBytes(
  src: Uint8Array,
  srcStart: number,
  srcEnd: number,
  dst: Uint8Array,
  dstOffset: number,
  key: Uint8Array,
  keyOffset: number,
): void {
  const k0 = key[keyOffset & 3]!;
  const k1 = key[(keyOffset + 1) & 3]!;
  const k2 = key[(keyOffset + 2) & 3]!;
  const k3 = key[(keyOffset + 3) & 3]!;
  const shift = dstOffset - srcStart;
  let i = srcStart;
  for (; i + 3 < srcEnd; i += 4) {
    dst[i + shift] = src[i]! ^ k0;
    dst[i + shift + 1] = src[i + 1]! ^ k1;
    dst[i + shift + 2] = src[i + 2]! ^ k2;
    dst[i + shift + 3] = src[i + 3]! ^ k3;
  }
  if (i < srcEnd) dst[i + shift] = src[i]! ^ k0;
  if (i + 1 < srcEnd) dst[i + shift + 1] = src[i + 1]! ^ k1;
  if (i + 2 < srcEnd) dst[i + shift + 2] = src[i + 2]! ^ k2;
}

/**
 * Masks (or unmasks: the operation is its own inverse) `data` in place.
 *
 * `keyOffset` says which key byte applies to `data[0]`: pass the number of
 * payload bytes already processed when a payload is (un)masked in pieces,
 * RFC 6455 §5.3 counts key positions from the start of the payload.
 *
 * @example
 * ```ts
 * mask(payload, maskKey);               // whole payload
 * mask(piece2, maskKey, piece1.length); // second piece of the same payload
 * ```
 */
export function mask(data: Uint8Array, key: Uint8Array, keyOffset = 0, native?: NativeMask): void {
  checkKey(key);
  const length = data.length;
  if (length < WORD_THRESHOLD) {
    maskBytes(data, 0, length, data, 0, key, keyOffset);
    return;
  }
  const nativeNow = native ?? nativeMask;
  if (nativeNow !== undefined && length >= NATIVE_IN_PLACE_THRESHOLD) {
    nativeNow(data, keyAt(key, keyOffset), data, 0, length);
    return;
  }
  // Bytes before the first 4-byte boundary of the underlying ArrayBuffer.
  const head = (4 - (data.byteOffset & 3)) & 3;
  maskBytes(data, 0, head, data, 0, key, keyOffset);
  const words = (length - head) >>> 2;
  const view = new Int32Array(data.buffer, data.byteOffset + head, words);
  const word = keyWord(key, keyOffset + head);
  // Unrolled by sixteen: measured ~2x over the plain loop, 1.3x over four
  // and 1.14x over eight in V8 (Node 20).
  let i = 0;
  for (; i + 15 < words; i += 16) {
    view[i]! ^= word;
    view[i + 1]! ^= word;
    view[i + 2]! ^= word;
    view[i + 3]! ^= word;
    view[i + 4]! ^= word;
    view[i + 5]! ^= word;
    view[i + 6]! ^= word;
    view[i + 7]! ^= word;
    view[i + 8]! ^= word;
    view[i + 9]! ^= word;
    view[i + 10]! ^= word;
    view[i + 11]! ^= word;
    view[i + 12]! ^= word;
    view[i + 13]! ^= word;
    view[i + 14]! ^= word;
    view[i + 15]! ^= word;
  }
  for (; i < words; i++) view[i]! ^= word;
  const tail = head + words * 4;
  maskBytes(data, tail, length, data, tail, key, keyOffset + tail);
}

/**
 * Same as {@link mask}: unmasking is masking again with the same key. Named
 * separately so call sites read like the RFC.
 */
export const unmask: (data: Uint8Array, key: Uint8Array, keyOffset?: number, native?: NativeMask) => void = mask;

/**
 * Copies `src` into `dst` at `dstOffset`, masking on the way, in one pass
 * (no copy-then-mask). `keyOffset` is the key position of `src[0]`, as in
 * {@link mask}. `src` is left untouched. `dst` must have room for
 * `src.length` bytes from `dstOffset`.
 *
 * Used to assemble a payload from pieces and to mask an outgoing payload
 * into a fresh buffer without a second copy. Fastest when `src` and the
 * destination start at the same offset modulo 4 (then both sides are read
 * and written as 32-bit words).
 */
export function maskInto(
  src: Uint8Array,
  dst: Uint8Array,
  dstOffset: number,
  key: Uint8Array,
  keyOffset = 0,
  native?: NativeMask,
): void {
  checkKey(key);
  const length = src.length;
  if (dstOffset < 0 || dstOffset + length > dst.length) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'maskInto: destination too small');
  }
  if (length < WORD_THRESHOLD) {
    maskBytes(src, 0, length, dst, dstOffset, key, keyOffset);
    return;
  }
  const nativeNow = native ?? nativeMask;
  if (nativeNow !== undefined && length >= NATIVE_THRESHOLD) {
    nativeNow(src, keyAt(key, keyOffset), dst, dstOffset, length);
    return;
  }
  const dstStart = dst.byteOffset + dstOffset;
  const head = (4 - (dstStart & 3)) & 3;
  maskBytes(src, 0, head, dst, dstOffset, key, keyOffset);
  const words = (length - head) >>> 2;
  const dstView = new Int32Array(dst.buffer, dstStart + head, words);
  const word = keyWord(key, keyOffset + head);
  const srcPos = src.byteOffset + head;
  const misalign = srcPos & 3;
  let i = 0;
  if (misalign === 0) {
    const srcView = new Int32Array(src.buffer, srcPos, words);
    // Unrolled by sixteen, as in mask().
    for (; i + 15 < words; i += 16) {
      dstView[i] = srcView[i]! ^ word;
      dstView[i + 1] = srcView[i + 1]! ^ word;
      dstView[i + 2] = srcView[i + 2]! ^ word;
      dstView[i + 3] = srcView[i + 3]! ^ word;
      dstView[i + 4] = srcView[i + 4]! ^ word;
      dstView[i + 5] = srcView[i + 5]! ^ word;
      dstView[i + 6] = srcView[i + 6]! ^ word;
      dstView[i + 7] = srcView[i + 7]! ^ word;
      dstView[i + 8] = srcView[i + 8]! ^ word;
      dstView[i + 9] = srcView[i + 9]! ^ word;
      dstView[i + 10] = srcView[i + 10]! ^ word;
      dstView[i + 11] = srcView[i + 11]! ^ word;
      dstView[i + 12] = srcView[i + 12]! ^ word;
      dstView[i + 13] = srcView[i + 13]! ^ word;
      dstView[i + 14] = srcView[i + 14]! ^ word;
      dstView[i + 15] = srcView[i + 15]! ^ word;
    }
    for (; i < words; i++) dstView[i] = srcView[i]! ^ word;
  } else if (LITTLE_ENDIAN) {
    // Source misaligned: read aligned words and splice neighbours with
    // shifts, one read per word (about as fast as the aligned case). The
    // bytes read outside `src` are shifted away, never used or written.
    const base = srcPos - misalign;
    const available = Math.floor((src.buffer.byteLength - base) / 4) - 1;
    const n = Math.min(words, available);
    const srcView = new Int32Array(src.buffer, base, n + 1);
    const right = misalign * 8;
    const left = 32 - right;
    let previous = srcView[0]!;
    for (; i < n; i++) {
      const next = srcView[i + 1]!;
      dstView[i] = ((previous >>> right) | (next << left)) ^ word;
      previous = next;
    }
  }
  // Whatever is left (big-endian platforms, the end of the ArrayBuffer):
  // assemble each word from four bytes rather than copy first and mask after.
  for (let j = head + i * 4; i < words; i++, j += 4) {
    const w = LITTLE_ENDIAN
      ? src[j]! | (src[j + 1]! << 8) | (src[j + 2]! << 16) | (src[j + 3]! << 24)
      : (src[j]! << 24) | (src[j + 1]! << 16) | (src[j + 2]! << 8) | src[j + 3]!;
    dstView[i] = w ^ word;
  }
  const tail = head + words * 4;
  maskBytes(src, tail, length, dst, dstOffset + tail, key, keyOffset + tail);
}

/**
 * Unmasks `src` into `dst` at `dstOffset` the fastest way available, for a
 * receiver that owns `src` and will not read it again (it may be left masked
 * or unmasked). With a native function, or when `src` and the destination
 * start at the same offset modulo 4, in one pass ({@link maskInto}: unmask
 * while copying). Otherwise the pure-JS fused loop has to splice misaligned
 * words and runs at about a third of the speed of unmasking in place and
 * copying with `set()` (a memcpy), so it does that instead. Measured with
 * `bench/mask.bench.mjs`.
 *
 * @internal
 */
export function unmaskInto(
  src: Uint8Array,
  dst: Uint8Array,
  dstOffset: number,
  key: Uint8Array,
  keyOffset: number,
  native: NativeMask | undefined,
): void {
  const length = src.length;
  if (length < WORD_THRESHOLD || (native ?? nativeMask) !== undefined || ((src.byteOffset ^ (dst.byteOffset + dstOffset)) & 3) === 0) {
    maskInto(src, dst, dstOffset, key, keyOffset, native);
    return;
  }
  mask(src, key, keyOffset, native);
  dst.set(src, dstOffset);
}
