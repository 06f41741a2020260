/**
 * Compress once per publish (RFC 7692): a subscriber whose server→client
 * direction keeps no context between messages (`server_no_context_takeover`)
 * gets bytes that depend only on the message, the window size and the zlib
 * settings, so one deflate serves every such subscriber with the same
 * window. One deflater per window size, used one message at a time and
 * reset after each.
 *
 * @module
 */
import type { Compressor, Deflater } from '../protocol/compressor.js';
import { DEFAULT_DEFLATE_LEVEL, DEFAULT_DEFLATE_THRESHOLD, deflatedPayload } from '../protocol/deflate-extension.js';
import { parseExtensions } from '../protocol/extension-header.js';
import { isPromise } from '../protocol/extension.js';
import { PERMESSAGE_DEFLATE } from '../protocol/permessage-deflate.js';

/** How a server compresses topic messages once: its engine and the settings its connections use. */
export interface TopicDeflateOptions {
  /** The DEFLATE engine the server's connections use. */
  readonly compressor: Compressor;
  /** zlib level (default {@link DEFAULT_DEFLATE_LEVEL}). */
  readonly level?: number | undefined;
  /** zlib memLevel (default 8). */
  readonly memLevel?: number | undefined;
  /** Messages shorter than this go uncompressed, as on each connection (default 1024). */
  readonly threshold?: number | undefined;
}

interface WindowDeflater {
  readonly deflater: Deflater;
  /** The last deflate queued on it: the next one starts after it. */
  tail: Promise<unknown> | undefined;
}

/**
 * The window size (8..15) a server session compresses with when its
 * negotiated permessage-deflate keeps no server context, else `undefined`
 * (no deflate, or context takeover: only its own deflater may compress).
 */
export function sharedDeflateWindow(extensions: string): number | undefined {
  if (extensions === '') return undefined;
  const parsed = parseExtensions([extensions]);
  if (!parsed.ok) return undefined;
  const offer = parsed.value.find((candidate) => candidate.name === PERMESSAGE_DEFLATE);
  if (offer === undefined) return undefined;
  let noContext = false;
  let bits = 15; // RFC 7692 §7.1.2.1: absent means 15
  for (const [name, value] of offer.params) {
    if (name === 'server_no_context_takeover') noContext = true;
    else if (name === 'server_max_window_bits' && typeof value === 'string') bits = Number(value);
  }
  return noContext && bits >= 8 && bits <= 15 ? bits : undefined;
}

/** One server's shared topic compressor (see the module comment). */
export class TopicDeflate {
  readonly #options: TopicDeflateOptions;
  readonly #byWindow = new Map<number, WindowDeflater>();
  /** Messages at least this long are compressed. */
  readonly threshold: number;

  constructor(options: TopicDeflateOptions) {
    this.#options = options;
    this.threshold = options.threshold ?? DEFAULT_DEFLATE_THRESHOLD;
  }

  /**
   * The permessage-deflate payload of `message` for a `windowBits` window,
   * now or as a promise (node:zlib). Calls on one window run in order.
   */
  compress(message: Uint8Array, windowBits: number): Uint8Array | Promise<Uint8Array> {
    let entry = this.#byWindow.get(windowBits);
    if (entry === undefined) {
      const deflater = this.#options.compressor.createDeflater({
        windowBits,
        level: this.#options.level ?? DEFAULT_DEFLATE_LEVEL,
        memLevel: this.#options.memLevel ?? 8,
      });
      entry = { deflater, tail: undefined };
      this.#byWindow.set(windowBits, entry);
    }
    const current = entry;
    const run = (): Uint8Array | Promise<Uint8Array> => {
      const chunks = current.deflater.deflate(message);
      return isPromise(chunks) ? chunks.then((out) => this.#finish(current, out)) : this.#finish(current, chunks);
    };
    const result = current.tail === undefined ? run() : current.tail.then(run);
    if (!isPromise(result)) return result;
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    current.tail = tail;
    // The chain ends with the last queued deflate: an idle window holds no promise.
    void tail.then(() => {
      if (current.tail === tail) current.tail = undefined;
    });
    return result;
  }

  #finish(entry: WindowDeflater, chunks: readonly Uint8Array[]): Uint8Array | Promise<Uint8Array> {
    const payload = deflatedPayload(chunks, this.#options.compressor.name);
    // No context takeover: the next message starts from an empty window.
    const reset = entry.deflater.reset();
    return isPromise(reset) ? reset.then(() => payload) : payload;
  }

  /** Release the zlib contexts (server closed). */
  dispose(): void {
    for (const entry of this.#byWindow.values()) entry.deflater.dispose();
    this.#byWindow.clear();
  }
}
