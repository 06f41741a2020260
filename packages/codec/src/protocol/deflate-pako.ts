/**
 * A pure-JS {@link Compressor} on pako's zlib port, for runtimes without
 * node:zlib (browsers, workers, custom transports). Synchronous.
 *
 * pako rather than fflate: pako takes a raw window size (needed for
 * `*_max_window_bits`), sync-flushes exactly like zlib, and its low-level
 * `zlibInflate` lets us hand it an output buffer no larger than the
 * remaining size budget, so a DEFLATE bomb stops at the budget.
 *
 * @module
 */
import {
  ZStream,
  Z_BUF_ERROR,
  Z_OK,
  Z_STREAM_END,
  Z_SYNC_FLUSH,
  Z_DEFAULT_STRATEGY,
  zlibDeflate,
  zlibDeflateEnd,
  zlibDeflateInit2,
  zlibDeflateReset,
  zlibInflate,
  zlibInflateEnd,
  zlibInflateInit2,
  zlibInflateReset,
} from 'pako';
import type {
  Compressor,
  Deflater,
  DeflaterOptions,
  InflateResult,
  Inflater,
  InflaterOptions,
} from './compressor.js';

/** Largest output piece the inflater allocates at once. */
const MAX_OUT_CHUNK = 64 * 1024;
const Z_DEFLATED = 8;

/** zlib refuses raw windowBits 8 (a 256-byte window); 9 never reaches past 250 bytes. */
function rawWindowBits(bits: number): number {
  return Math.max(9, Math.min(15, bits));
}

class PakoDeflater implements Deflater {
  readonly #strm = new ZStream();
  #disposed = false;

  constructor(options: DeflaterOptions) {
    const status = zlibDeflateInit2(
      this.#strm,
      options.level,
      Z_DEFLATED,
      -rawWindowBits(options.windowBits),
      options.memLevel,
      Z_DEFAULT_STRATEGY,
    );
    if (status !== Z_OK) throw new RangeError(`pako deflateInit2 failed (${status})`);
  }

  deflate(data: Uint8Array): Uint8Array[] {
    if (this.#disposed) throw new Error('deflater disposed');
    const strm = this.#strm;
    strm.input = data;
    strm.next_in = 0;
    strm.avail_in = data.length;
    const chunks: Uint8Array[] = [];
    // Room for the input plus block headers and the sync-flush marker; more
    // chunks follow if it does not fit.
    let size = Math.min(MAX_OUT_CHUNK, data.length + 64);
    for (;;) {
      const out = new Uint8Array(size);
      strm.output = out;
      strm.next_out = 0;
      strm.avail_out = size;
      const status = zlibDeflate(strm, Z_SYNC_FLUSH);
      if (status !== Z_OK && status !== Z_BUF_ERROR) throw new Error(`pako deflate failed: ${strm.msg || status}`);
      if (strm.next_out > 0) chunks.push(strm.next_out === size ? out : out.subarray(0, strm.next_out));
      // zlib: a sync flush is complete once deflate leaves output space unused.
      if (strm.avail_out > 0 && strm.avail_in === 0) break;
      size = MAX_OUT_CHUNK;
    }
    strm.input = EMPTY;
    return chunks;
  }

  reset(): void {
    if (!this.#disposed) zlibDeflateReset(this.#strm);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    zlibDeflateEnd(this.#strm);
  }
}

const EMPTY = new Uint8Array(0);

class PakoInflater implements Inflater {
  readonly #strm = new ZStream();
  #disposed = false;

  constructor(options: InflaterOptions) {
    // Inflating with a window at least as large as the peer's is always
    // correct; 8 is legal for inflate.
    const status = zlibInflateInit2(this.#strm, -Math.max(8, Math.min(15, options.windowBits)));
    if (status !== Z_OK) throw new RangeError(`pako inflateInit2 failed (${status})`);
  }

  inflate(input: readonly Uint8Array[], maxOutput: number, onOutput?: (chunk: Uint8Array) => boolean): InflateResult {
    if (this.#disposed) throw new Error('inflater disposed');
    const strm = this.#strm;
    const chunks: Uint8Array[] = [];
    let length = 0;
    let streamEnd = false;
    for (const data of input) {
      if (data.length === 0) continue;
      // Bytes after a BFINAL block: only the 00 00 ff ff we appended (RFC 7692 §7.2.3.4 ...).
      if (streamEnd) break;
      strm.input = data;
      strm.next_in = 0;
      strm.avail_in = data.length;
      // First guess: a few times the input, never more than one byte past
      // the budget (that one byte proves the message is too big).
      let guess = Math.max(1024, data.length * 4);
      for (;;) {
        const size = Math.min(MAX_OUT_CHUNK, guess, maxOutput - length + 1);
        const out = new Uint8Array(size);
        strm.output = out;
        strm.next_out = 0;
        strm.avail_out = size;
        const inBefore = strm.avail_in;
        const status = zlibInflate(strm, Z_SYNC_FLUSH);
        if (status !== Z_OK && status !== Z_STREAM_END && status !== Z_BUF_ERROR) {
          strm.input = EMPTY;
          return { ok: false, kind: 'corrupt', message: strm.msg || `inflate error ${status}` };
        }
        const produced = strm.next_out;
        if (produced > 0) {
          length += produced;
          if (length > maxOutput) {
            strm.input = EMPTY;
            return { ok: false, kind: 'too-big' };
          }
          const piece = produced === size ? out : out.slice(0, produced);
          if (onOutput !== undefined && !onOutput(piece)) {
            strm.input = EMPTY;
            return { ok: false, kind: 'rejected' };
          }
          chunks.push(piece);
        }
        if (status === Z_STREAM_END) {
          streamEnd = true;
          break;
        }
        if (strm.avail_out === 0) {
          guess = MAX_OUT_CHUNK; // more output may be pending
          continue;
        }
        if (strm.avail_in === 0) break;
        // Output space left, input left, yet no progress: cannot happen with
        // valid zlib semantics; stop instead of spinning.
        if (produced === 0 && strm.avail_in === inBefore) {
          strm.input = EMPTY;
          return { ok: false, kind: 'corrupt', message: 'inflate made no progress' };
        }
      }
    }
    strm.input = EMPTY;
    return { ok: true, chunks, length, streamEnd };
  }

  reset(): void {
    if (!this.#disposed) zlibInflateReset(this.#strm);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    zlibInflateEnd(this.#strm);
  }
}

/**
 * The portable, synchronous pako-based {@link Compressor}. The default of
 * {@link permessageDeflate}.
 *
 * @example
 * ```ts
 * permessageDeflate({ compressor: pakoCompressor() });
 * ```
 */
export function pakoCompressor(): Compressor {
  return {
    name: 'pako',
    createDeflater: (options) => new PakoDeflater(options),
    createInflater: (options) => new PakoInflater(options),
  };
}
