/**
 * fast-check arbitraries for the frame layer: valid frames, byte-stream
 * chunkings and helpers to join and split bytes. Exported for users who fuzz
 * their own code on top of the codec.
 *
 * @module
 */
import fc from 'fast-check';
import { concatBytes as joinBytes } from '../protocol/bytes.js';
import { encodeFrame, MAX_CONTROL_PAYLOAD } from '../protocol/frame.js';
import { Opcode } from '../protocol/opcode.js';

/** A frame to encode: what {@link frameArbitrary} generates. */
export interface FrameSpec {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  /** Unmasked payload. */
  payload: Uint8Array;
  /** Present for masked frames (client to server). */
  maskKey: Uint8Array | undefined;
}

/** Options of {@link frameArbitrary}. */
export interface FrameArbitraryOptions {
  /** `true`: every frame masked; `false`: none; `undefined`: either. */
  masked?: boolean | undefined;
  /** Largest data frame payload. Default 300 (crosses the 125 and covers 16-bit lengths). */
  maxPayloadLength?: number | undefined;
  /** Which RSV bits may be set. Default: none. */
  rsv?: { rsv1?: boolean; rsv2?: boolean; rsv3?: boolean } | undefined;
  /** Opcodes to draw from. Default: all six RFC 6455 opcodes. */
  opcodes?: readonly number[] | undefined;
}

const ALL_OPCODES = [
  Opcode.Continuation,
  Opcode.Text,
  Opcode.Binary,
  Opcode.Close,
  Opcode.Ping,
  Opcode.Pong,
] as const;

/**
 * Valid frames (RFC 6455 §5.2, §5.5): control frames have `fin` set and at
 * most 125 bytes of payload; masked frames carry a 4-byte key.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(frameArbitrary({ masked: true }), (spec) => { ... }));
 * ```
 */
export function frameArbitrary(options: FrameArbitraryOptions = {}): fc.Arbitrary<FrameSpec> {
  const maxPayloadLength = options.maxPayloadLength ?? 300;
  const opcodes = options.opcodes ?? ALL_OPCODES;
  const maskKey =
    options.masked === true
      ? fc.uint8Array({ minLength: 4, maxLength: 4 })
      : options.masked === false
        ? fc.constant(undefined)
        : fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }), { nil: undefined });
  const bit = (allowed: boolean | undefined): fc.Arbitrary<boolean> => (allowed === true ? fc.boolean() : fc.constant(false));
  return fc
    .record({
      fin: fc.boolean(),
      rsv1: bit(options.rsv?.rsv1),
      rsv2: bit(options.rsv?.rsv2),
      rsv3: bit(options.rsv?.rsv3),
      opcode: fc.constantFrom(...opcodes),
      payload: fc.uint8Array({ maxLength: maxPayloadLength }),
      maskKey,
    })
    .map((spec) => {
      if (spec.opcode < 0x8) return spec;
      // RFC 6455 §5.5: control frames are whole and short.
      return { ...spec, fin: true, payload: spec.payload.subarray(0, MAX_CONTROL_PAYLOAD) };
    });
}

/** Encodes a {@link FrameSpec} into one fresh buffer (the payload in the spec is not modified). */
export function encodeFrameSpec(spec: FrameSpec): Uint8Array {
  const [header, payload] = encodeFrame({
    fin: spec.fin,
    rsv1: spec.rsv1,
    rsv2: spec.rsv2,
    rsv3: spec.rsv3,
    opcode: spec.opcode,
    payload: spec.payload,
    maskKey: spec.maskKey,
  });
  return concatBytes([header, payload]);
}

/** Joins byte arrays into one fresh buffer (a copy even for one part, so a decoder may own it). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const joined = joinBytes(parts);
  return parts.length === 1 ? joined.slice() : joined;
}

/**
 * Splits `bytes` into fresh chunks (copies, so a decoder may take ownership)
 * of the given sizes, used in turn and repeated until the bytes run out.
 * Sizes ≤ 0 count as 1. An empty `sizes` gives one chunk.
 */
export function chunkBytes(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  if (sizes.length === 0) return bytes.length === 0 ? [] : [bytes.slice()];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!);
    chunks.push(bytes.slice(offset, offset + size));
    offset += size;
  }
  return chunks;
}

/**
 * Chunk sizes for {@link chunkBytes}: mostly tiny (1-16 bytes, to split
 * headers everywhere) with some large ones.
 */
export function chunkSizesArbitrary(maxSize = 4096): fc.Arbitrary<number[]> {
  return fc.array(
    fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 16 }), weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: Math.max(1, maxSize) }), weight: 1 },
    ),
    { minLength: 1, maxLength: 20 },
  );
}

/**
 * Split points for a byte stream of `length` bytes: sorted, distinct offsets
 * strictly inside it. Use with {@link splitAt}.
 */
export function splitPointsArbitrary(length: number): fc.Arbitrary<number[]> {
  if (length < 2) return fc.constant([]);
  return fc
    .uniqueArray(fc.integer({ min: 1, max: length - 1 }), { maxLength: Math.min(length - 1, 64) })
    .map((points) => points.sort((a, b) => a - b));
}

/** Splits `bytes` at sorted `points` into fresh chunks (copies). */
export function splitAt(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    if (point <= start || point >= bytes.length) continue;
    chunks.push(bytes.slice(start, point));
    start = point;
  }
  if (start < bytes.length) chunks.push(bytes.slice(start));
  return chunks;
}

/** A list of valid frames and the byte stream that encodes them, in order. */
export function frameStreamArbitrary(
  options: FrameArbitraryOptions = {},
): fc.Arbitrary<{ frames: FrameSpec[]; bytes: Uint8Array }> {
  return fc
    .array(frameArbitrary(options), { maxLength: 12 })
    .map((frames) => ({ frames, bytes: concatBytes(frames.map(encodeFrameSpec)) }));
}
