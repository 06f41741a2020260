/**
 * The pluggable raw-DEFLATE engine behind permessage-deflate (RFC 7692).
 *
 * The extension layer ({@link createDeflateExtension}) does everything the
 * RFC asks of a message (trailer, threshold, context takeover, size budget);
 * a {@link Compressor} only turns bytes into raw DEFLATE and back. Two
 * implementations ship: {@link pakoCompressor} (pure JS, runs anywhere) and
 * `zlibCompressor` from `@framewire/codec/zlib` (node:zlib on Node, Deno, Bun).
 *
 * @module
 */

/** Options a {@link Compressor} receives for one direction of one connection. */
export interface DeflaterOptions {
  /**
   * Base-2 log of the LZ77 window the peer can hold, 8..15 (RFC 7692
   * §7.1.2). An implementation may use a smaller window, never a larger one
   * (zlib cannot do 8 for raw deflate; it uses 9, whose longest distance,
   * 512 - 262, still fits in 256 bytes).
   */
  readonly windowBits: number;
  /** zlib compression level 0..9. */
  readonly level: number;
  /** zlib memLevel 1..9. */
  readonly memLevel: number;
}

/** Options for the receiving side. */
export interface InflaterOptions {
  /** Base-2 log of the largest window the peer may use, 8..15. */
  readonly windowBits: number;
}

/**
 * Raw DEFLATE compressor for one direction of one connection. Keeps its LZ77
 * window between calls (context takeover) until {@link Deflater.reset}.
 */
export interface Deflater {
  /**
   * Compresses `data` and ends with a sync flush (RFC 7692 §7.2.1), so the
   * output ends with the empty stored block `00 00 ff ff`. Output may come in
   * several chunks.
   */
  deflate(data: Uint8Array): readonly Uint8Array[] | Promise<readonly Uint8Array[]>;
  /** Forgets the window: the next message starts a fresh context. */
  reset(): void | Promise<void>;
  /** Releases native memory. No call is made afterwards. */
  dispose(): void;
}

/** Why an {@link Inflater} stopped. */
export type InflateFailure =
  /** Output would pass the byte budget; inflation stopped at the budget. */
  | { readonly kind: 'too-big' }
  /** The input is not valid DEFLATE data. */
  | { readonly kind: 'corrupt'; readonly message: string }
  /** `onOutput` refused a piece of output (invalid UTF-8 in a text message); inflation stopped there. */
  | { readonly kind: 'rejected' };

/** Output of {@link Inflater.inflate}: the inflated chunks, or why it stopped. */
export type InflateResult =
  | { readonly ok: true; readonly chunks: readonly Uint8Array[]; readonly length: number; readonly streamEnd: boolean }
  | ({ readonly ok: false } & InflateFailure);

/**
 * Raw DEFLATE decompressor for one direction of one connection. Keeps its
 * window between calls until {@link Inflater.reset}.
 */
export interface Inflater {
  /**
   * Inflates `input` (chunks in order, fed as one stream, flushed with
   * Z_SYNC_FLUSH). Must never hold more than `maxOutput` bytes of output
   * plus one bounded working chunk: as soon as the output passes
   * `maxOutput` it stops and returns `{ ok: false, kind: 'too-big' }`.
   * `streamEnd` is true when a block with BFINAL ended the DEFLATE stream
   * (the caller then resets before the next message). `onOutput`, when
   * given, sees each output chunk in order as it is produced; when it
   * returns `false` inflation stops at once with `{ ok: false, kind:
   * 'rejected' }` (fail fast: a text message whose first bytes are not
   * UTF-8 is not inflated any further).
   */
  inflate(
    input: readonly Uint8Array[],
    maxOutput: number,
    onOutput?: (chunk: Uint8Array) => boolean,
  ): InflateResult | Promise<InflateResult>;
  /** Forgets the window. */
  reset(): void | Promise<void>;
  /** Releases native memory. No call is made afterwards. */
  dispose(): void;
}

/**
 * A DEFLATE implementation: makes one deflater and one inflater per
 * connection. Implement this to plug in another engine (a WASM zlib, a
 * platform `CompressionStream`, ...).
 *
 * @example
 * ```ts
 * import { permessageDeflate } from '@framewire/codec';
 * import { zlibCompressor } from '@framewire/codec/zlib';
 * const pmd = permessageDeflate({ compressor: zlibCompressor({ concurrency: 10 }) });
 * ```
 */
export interface Compressor {
  /** A short name for logs and benchmarks, e.g. `'pako'`, `'node:zlib'`. */
  readonly name: string;
  createDeflater(options: DeflaterOptions): Deflater;
  createInflater(options: InflaterOptions): Inflater;
}
