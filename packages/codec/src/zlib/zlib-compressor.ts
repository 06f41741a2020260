/**
 * The node:zlib {@link Compressor}: native DEFLATE on Node, Deno and Bun, all
 * of which provide `node:zlib` streams. Only public stream APIs are used
 * (`write`, `flush(Z_SYNC_FLUSH, cb)`, `reset`, `close`), so the same code
 * runs unchanged on the three runtimes.
 *
 * Async by design: a zlib stream processes on libuv's thread pool and
 * reports through events. The Connection serialises calls per direction, so
 * context takeover stays correct, and a shared {@link ZlibLimiter} bounds
 * the work in flight across all connections.
 *
 * @module
 */
import * as zlib from 'node:zlib';
import type {
  Compressor,
  Deflater,
  DeflaterOptions,
  InflateResult,
  Inflater,
  InflaterOptions,
} from '../protocol/compressor.js';
import { concatBytes } from '../protocol/bytes.js';
import { ZlibLimiter, sharedZlibLimiter } from './limiter.js';
import { engineLevel } from './engine-level.js';

const { Z_SYNC_FLUSH } = zlib.constants;

/** Options of {@link zlibCompressor}. */
export interface ZlibCompressorOptions {
  /**
   * zlib jobs allowed in flight at once. With a number, the compressor gets
   * its own limiter; by default every `zlibCompressor()` shares one limiter
   * of concurrency 10 (process-wide, like ws).
   */
  readonly concurrency?: number | undefined;
  /** Or share an explicit limiter between compressors. */
  readonly limiter?: ZlibLimiter | undefined;
  /** Size of each output chunk zlib produces (default 16 KiB). Bounds memory while inflating. */
  readonly chunkSize?: number | undefined;
  /**
   * Called after an inflate passed its output limit and its output was
   * dropped (a deflate bomb or an oversized message), with the bytes dropped.
   * Engines that collect large buffers lazily (Bun) use it to ask for a
   * collection, so repeated bombs do not stack up in RSS.
   */
  readonly onOverflow?: ((droppedBytes: number) => void) | undefined;
}

/** zlib refuses raw windowBits 8; 9 never reaches past 250 bytes (see compressor.ts). */
function rawWindowBits(bits: number): number {
  return Math.max(9, Math.min(15, bits));
}

const ignoreError = (): void => {};

/** The error a stream failed with, if any (`errored` is public since Node 18; Deno sets it before emitting). */
function failureOf(stream: zlib.DeflateRaw | zlib.InflateRaw): Error | undefined {
  if (stream.errored) return stream.errored;
  return stream.destroyed ? new Error('node:zlib stream destroyed') : undefined;
}

/** Buffer → plain Uint8Array view (no copy), so callers see the same type on every engine. */
function plain(chunk: Uint8Array): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}


class ZlibDeflater implements Deflater {
  #stream: zlib.DeflateRaw | undefined;
  #abort: ((error: Error) => void) | undefined;

  constructor(
    options: DeflaterOptions,
    private readonly limiter: ZlibLimiter,
    chunkSize: number | undefined,
  ) {
    this.#stream = zlib.createDeflateRaw({
      // Classic zlib's ratio for this level on any engine (see engine-level.ts).
      level: engineLevel(options.level),
      memLevel: options.memLevel,
      windowBits: rawWindowBits(options.windowBits),
      // RFC 7692 §7.2.1: every write ends on a byte boundary with an empty stored block.
      flush: Z_SYNC_FLUSH,
      ...(chunkSize === undefined ? {} : { chunkSize }),
    });
    // An 'error' with no listener would crash the process; per-call
    // listeners below report it.
    this.#stream.on('error', ignoreError);
  }

  deflate(data: Uint8Array): Promise<readonly Uint8Array[]> {
    return this.limiter.run(
      () =>
        new Promise<readonly Uint8Array[]>((resolve, reject) => {
          const stream = this.#stream;
          if (stream === undefined) {
            reject(new Error('node:zlib deflater disposed'));
            return;
          }
          const chunks: Uint8Array[] = [];
          const onData = (chunk: Uint8Array): void => {
            chunks.push(plain(chunk));
          };
          const done = (error?: Error): void => {
            stream.off('data', onData);
            stream.off('error', done);
            this.#abort = undefined;
            if (error) reject(error);
            else resolve(chunks);
          };
          this.#abort = done;
          stream.on('data', onData);
          stream.on('error', done);
          // One sync-flushed write (see the module comment); its callback
          // runs once all of its output has been emitted as 'data'.
          stream.write(data, () => {
            // Deno runs this callback before it emits 'error': ask the stream.
            if (this.#abort === done) done(failureOf(stream));
          });
        }),
    );
  }

  reset(): void {
    this.#stream?.reset();
  }

  dispose(): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    this.#stream = undefined;
    this.#abort?.(new Error('node:zlib deflater disposed'));
    stream.close();
  }
}

class ZlibInflater implements Inflater {
  #stream: zlib.InflateRaw | undefined;
  /** The peer's DEFLATE stream ended (BFINAL); a new zlib stream is needed. */
  #ended = false;
  #abort: (() => void) | undefined;

  constructor(
    private readonly options: InflaterOptions,
    private readonly limiter: ZlibLimiter,
    private readonly chunkSize: number | undefined,
    private readonly onOverflow: ((droppedBytes: number) => void) | undefined,
  ) {
    this.#stream = this.#create();
  }

  #create(): zlib.InflateRaw {
    const stream = zlib.createInflateRaw({
      windowBits: Math.max(9, Math.min(15, this.options.windowBits)),
      flush: Z_SYNC_FLUSH, // each write is a whole message (see the module comment)
      ...(this.chunkSize === undefined ? {} : { chunkSize: this.chunkSize }),
    });
    stream.on('error', ignoreError);
    stream.on('end', () => {
      this.#ended = true;
    });
    return stream;
  }

  inflate(input: readonly Uint8Array[], maxOutput: number, onOutput?: (chunk: Uint8Array) => boolean): Promise<InflateResult> {
    return this.limiter.run(
      () =>
        new Promise<InflateResult>((resolve) => {
          const stream = this.#stream;
          if (stream === undefined) {
            resolve({ ok: false, kind: 'corrupt', message: 'node:zlib inflater disposed' });
            return;
          }
          const chunks: Uint8Array[] = [];
          let length = 0;
          let settled = false;
          const finish = (result: InflateResult): void => {
            if (settled) return;
            settled = true;
            stream.off('data', onData);
            stream.off('error', onError);
            this.#abort = undefined;
            resolve(result);
          };
          const onData = (chunk: Uint8Array): void => {
            if (settled) return;
            length += chunk.length;
            if (length > maxOutput) {
              // Stop inflating now: destroying the stream inside 'data' makes
              // zlib skip the rest of the input, so memory stays at the budget.
              chunks.length = 0;
              finish({ ok: false, kind: 'too-big' });
              this.#discard();
              this.onOverflow?.(length);
              return;
            }
            const piece = plain(chunk);
            if (onOutput !== undefined && !onOutput(piece)) {
              // Fail fast: stop inflating, as for too-big.
              chunks.length = 0;
              finish({ ok: false, kind: 'rejected' });
              this.#discard();
              return;
            }
            chunks.push(piece);
          };
          const onError = (error: Error): void => {
            // Bytes after a BFINAL block (our appended 00 00 ff ff) are not an error.
            if (this.#ended) {
              finish({ ok: true, chunks, length, streamEnd: true });
              return;
            }
            finish({ ok: false, kind: 'corrupt', message: error.message });
            this.#discard();
          };
          this.#abort = () => finish({ ok: false, kind: 'corrupt', message: 'node:zlib inflater disposed' });
          stream.on('data', onData);
          stream.on('error', onError);
          // One write for the whole message: joining the pieces (the payload
          // and the 4-byte trailer) copies less than a thread-pool round trip costs.
          stream.write(concatBytes(input), () => {
            // Deno runs this callback before it emits 'error': ask the stream.
            const failure = failureOf(stream);
            if (failure !== undefined) onError(failure);
            else finish({ ok: true, chunks, length, streamEnd: this.#ended });
          });
        }),
    );
  }

  /** Drops a stream that can no longer be trusted; the connection is failing anyway. */
  #discard(): void {
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.close();
  }

  reset(): void {
    if (this.#stream === undefined) return;
    if (this.#ended) {
      // A zlib stream that reached Z_STREAM_END has ended its readable side; start afresh.
      this.#stream.close();
      this.#ended = false;
      this.#stream = this.#create();
    } else {
      this.#stream.reset();
    }
  }

  dispose(): void {
    this.#abort?.();
    this.#discard();
  }
}

/**
 * The node:zlib-based {@link Compressor} for Node, Deno and Bun. Every
 * operation is async and goes through a concurrency limiter (shared,
 * concurrency 10, unless you pass `concurrency` or `limiter`).
 *
 * @example
 * ```ts
 * import { permessageDeflate } from '@framewire/codec';
 * import { zlibCompressor } from '@framewire/codec/zlib';
 * permessageDeflate({ compressor: zlibCompressor() });
 * ```
 */
export function zlibCompressor(options: ZlibCompressorOptions = {}): Compressor {
  const limiter =
    options.limiter ?? (options.concurrency === undefined ? sharedZlibLimiter : new ZlibLimiter(options.concurrency));
  return {
    name: 'node:zlib',
    createDeflater: (o) => new ZlibDeflater(o, limiter, options.chunkSize),
    createInflater: (o) => new ZlibInflater(o, limiter, options.chunkSize, options.onOverflow),
  };
}
