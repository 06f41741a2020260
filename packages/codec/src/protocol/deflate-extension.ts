/**
 * permessage-deflate as a {@link MessageExtension} (RFC 7692 §6, §7.2): turns
 * a {@link Compressor}'s deflater/inflater pair into per-message encode and
 * decode, with the empty-block trailer, the compression threshold, context
 * takeover per direction and the decompressed-size budget.
 *
 * @module
 */
import { concatBytes } from './bytes.js';
import type { Compressor, Deflater, InflateResult, Inflater } from './compressor.js';
import { pakoCompressor } from './deflate-pako.js';
import { ProtocolError } from './errors.js';
import { isPromise, type MessageExtension } from './extension.js';
import type { DeflateOffer, DeflateParameters, ExtensionElement } from './permessage-deflate.js';
import {
  PERMESSAGE_DEFLATE,
  acceptDeflateResponse,
  formatDeflateOffers,
  isWindowBits,
  selectDeflateOffer,
} from './permessage-deflate.js';

/** Default {@link DeflateExtensionOptions.threshold}: smaller messages go uncompressed. */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;

/**
 * Default zlib compression level of {@link permessageDeflate}: 1, chosen for
 * servers. On JSON-like text
 * (16 KiB messages, context takeover) level 1 costs about half the CPU of
 * zlib's default 6 (what ws uses) for a compressed size about a quarter
 * larger (14.4% of the input instead of 11.4%; level 3: 12.8% at ~0.6x the
 * CPU); `bench/deflate.bench.mjs` measures it. Pass `level: 6` (or up to 9)
 * when bytes on the wire cost more than CPU.
 */
export const DEFAULT_DEFLATE_LEVEL = 1;

/** Options of {@link createDeflateExtension}. */
export interface DeflateExtensionOptions {
  /** Which end we are: decides which window bits and takeover flags are ours. */
  readonly role: 'client' | 'server';
  /** The parameters agreed in the handshake. */
  readonly params: DeflateParameters;
  /** The DEFLATE engine. */
  readonly compressor: Compressor;
  /** Messages shorter than this many bytes are sent uncompressed (default 1024). */
  readonly threshold?: number | undefined;
  /**
   * zlib level 0..9 (default 6, zlib's own default, as at this low level the
   * RFC 7692 examples come out byte for byte; {@link permessageDeflate}
   * passes {@link DEFAULT_DEFLATE_LEVEL} instead).
   */
  readonly level?: number | undefined;
  /** zlib memLevel 1..9 (default 8). */
  readonly memLevel?: number | undefined;
}

/** RFC 7692 §7.2.1: the tail a sync flush leaves, removed on send and put back on receive. */
const TRAILER = Uint8Array.of(0x00, 0x00, 0xff, 0xff);
/** RFC 7692 §7.2.3.6: an empty message compresses to one 0x00 byte. */
const EMPTY_MESSAGE = Uint8Array.of(0x00);

/** Do the chunks end with 00 00 ff ff? */
function endsWithTrailer(chunks: readonly Uint8Array[], total: number): boolean {
  if (total < 4) return false;
  let need = 4;
  for (let c = chunks.length - 1; c >= 0 && need > 0; c--) {
    const chunk = chunks[c]!;
    for (let i = chunk.length - 1; i >= 0 && need > 0; i--) {
      if (chunk[i] !== TRAILER[need - 1]) return false;
      need--;
    }
  }
  return need === 0;
}

/**
 * A permessage-deflate message payload from a deflater's sync-flushed output
 * (RFC 7692 §7.2.1): the trailing `00 00 ff ff` removed, and one `00` byte
 * for an empty message (§7.2.3.6).
 *
 * @throws {Error} when the output does not end with a sync flush (an engine bug).
 */
export function deflatedPayload(chunks: readonly Uint8Array[], engine: string): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  if (total === 0) return EMPTY_MESSAGE;
  if (endsWithTrailer(chunks, total)) return concatBytes(chunks).subarray(0, total - TRAILER.length);
  throw new Error(`${engine}: deflate output does not end with a sync flush`);
}

/**
 * Builds the per-connection permessage-deflate extension for agreed
 * parameters. `decode` and `encode` return promises only when the
 * compressor does (node:zlib); calls must not overlap per direction (the
 * Connection serialises them).
 *
 * Decode failures are thrown (or rejected) as `ProtocolError`:
 * `FW_ERR_MESSAGE_TOO_BIG`/1009 once the inflated size passes `maxSize`
 * (inflation stops there), `FW_ERR_DECOMPRESSION`/1007 for corrupt data.
 */
export function createDeflateExtension(options: DeflateExtensionOptions): MessageExtension {
  const { role, params, compressor } = options;
  const threshold = options.threshold ?? DEFAULT_DEFLATE_THRESHOLD;
  const server = role === 'server';
  // RFC 7692 §7.1.1-2: each direction has its own takeover flag and window.
  const ourNoContextTakeover = server ? params.serverNoContextTakeover : params.clientNoContextTakeover;
  const peerNoContextTakeover = server ? params.clientNoContextTakeover : params.serverNoContextTakeover;
  const ourWindowBits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits;
  const peerWindowBits = server ? params.clientMaxWindowBits : params.serverMaxWindowBits;

  // Created on first use: a connection that never compresses (or never
  // receives a compressed message) never pays for a zlib context.
  let deflater: Deflater | undefined;
  let inflater: Inflater | undefined;
  let disposed = false;

  const finishEncode = (chunks: readonly Uint8Array[]): Uint8Array | Promise<Uint8Array> => {
    const payload = deflatedPayload(chunks, compressor.name);
    if (ourNoContextTakeover && deflater !== undefined) {
      const reset = deflater.reset();
      if (isPromise(reset)) return reset.then(() => payload);
    }
    return payload;
  };

  const finishDecode = (result: InflateResult, active: Inflater): Uint8Array | Promise<Uint8Array> => {
    if (!result.ok) {
      if (result.kind === 'too-big') {
        throw new ProtocolError('FW_ERR_MESSAGE_TOO_BIG', 1009, 'inflated message exceeds the maximum message size');
      }
      if (result.kind === 'rejected') {
        throw new ProtocolError('FW_ERR_INVALID_UTF8', 1007, 'text message is not valid UTF-8');
      }
      throw new ProtocolError('FW_ERR_DECOMPRESSION', 1007, `invalid compressed data: ${result.message}`);
    }
    const message = result.length === 0 ? new Uint8Array(0) : concatBytes(result.chunks);
    // A BFINAL block ended the peer's stream: the next message starts a new one.
    if (peerNoContextTakeover || result.streamEnd) {
      const reset = active.reset();
      if (isPromise(reset)) return reset.then(() => message);
    }
    return message;
  };

  return {
    name: PERMESSAGE_DEFLATE,

    encode(payload) {
      if (disposed) throw new Error('permessage-deflate: encode after dispose');
      if (payload.length < threshold) return undefined;
      deflater ??= compressor.createDeflater({
        windowBits: ourWindowBits,
        level: options.level ?? 6,
        memLevel: options.memLevel ?? 8,
      });
      const chunks = deflater.deflate(payload);
      return isPromise(chunks) ? chunks.then(finishEncode) : finishEncode(chunks);
    },

    decode(fragments, maxSize, onOutput) {
      if (disposed) throw new Error('permessage-deflate: decode after dispose');
      const active = (inflater ??= compressor.createInflater({ windowBits: peerWindowBits }));
      // RFC 7692 §7.2.2: append 00 00 ff ff, then inflate (text checked as it comes out).
      const result = active.inflate([...fragments, TRAILER], maxSize, onOutput);
      return isPromise(result) ? result.then((r) => finishDecode(r, active)) : finishDecode(result, active);
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      deflater?.dispose();
      inflater?.dispose();
      deflater = undefined;
      inflater = undefined;
    },
  };
}

/** Options of {@link permessageDeflate}. The same object configures a client or a server. */
export interface PerMessageDeflateOptions {
  /** The DEFLATE engine (default {@link pakoCompressor}; on Node, Deno and Bun use `zlibCompressor()` from `@framewire/codec/zlib`). */
  readonly compressor?: Compressor | undefined;
  /** Messages shorter than this many bytes are sent uncompressed (default 1024). */
  readonly threshold?: number | undefined;
  /**
   * zlib level 0..9 (default {@link DEFAULT_DEFLATE_LEVEL}, 1). Level 1 uses
   * about half the CPU of zlib's default 6 on JSON-like text for ~25% more
   * compressed bytes; raise it when bandwidth matters more than CPU.
   */
  readonly level?: number | undefined;
  /** zlib memLevel 1..9 (default 8). */
  readonly memLevel?: number | undefined;
  /**
   * Server: never keep the server's window between messages. Client: ask the
   * server for that (`server_no_context_takeover`).
   */
  readonly serverNoContextTakeover?: boolean | undefined;
  /**
   * Server: require the client not to keep its window. Client: promise not to
   * keep ours (`client_no_context_takeover`).
   */
  readonly clientNoContextTakeover?: boolean | undefined;
  /** Server: largest window we compress with. Client: ask the server to use at most 2^n bytes. 8..15. */
  readonly serverMaxWindowBits?: number | undefined;
  /**
   * Server: largest window we allow the client (declines clients that cannot
   * be limited). Client: `true` (default) names `client_max_window_bits`
   * so the server may limit us, a number also caps our own window, `false`
   * leaves it out.
   */
  readonly clientMaxWindowBits?: number | boolean | undefined;
  /**
   * Client only: the offers to send, most preferred first, instead of the
   * single offer built from the fields above (RFC 7692 §5: several offers
   * in one header).
   */
  readonly offers?: readonly DeflateOffer[] | undefined;
}

/**
 * The handshake hook for permessage-deflate: writes the client's offer,
 * selects an offer as a server, checks the server's answer as a client, and
 * builds the per-connection {@link MessageExtension}.
 */
export interface PerMessageDeflateNegotiator {
  readonly name: typeof PERMESSAGE_DEFLATE;
  /** The client's `Sec-WebSocket-Extensions` value (one or more offers). */
  offer(): string;
  /**
   * Server: picks the first acceptable permessage-deflate offer among the
   * client's parsed elements, or `undefined` to go on without it.
   */
  negotiateServer(
    offers: readonly ExtensionElement[],
  ): { readonly response: string; readonly extension: MessageExtension; readonly params: DeflateParameters } | undefined;
  /**
   * Client: checks the server's parsed elements. `undefined` when the server
   * did not accept permessage-deflate; a `ProtocolError` (1010) when its
   * answer is invalid, which fails the connection.
   */
  acceptClient(responses: readonly ExtensionElement[]): MessageExtension | ProtocolError | undefined;
}

/**
 * permessage-deflate for a client or a server.
 *
 * @example
 * ```ts
 * import { permessageDeflate } from '@framewire/codec';
 * import { zlibCompressor } from '@framewire/codec/zlib';
 * const extensions = [permessageDeflate({ threshold: 1024, compressor: zlibCompressor() })];
 * ```
 */
export function permessageDeflate(options: PerMessageDeflateOptions = {}): PerMessageDeflateNegotiator {
  const compressor = options.compressor ?? pakoCompressor();
  const { serverMaxWindowBits, clientMaxWindowBits } = options;
  if (serverMaxWindowBits !== undefined && !isWindowBits(serverMaxWindowBits)) {
    throw new RangeError('serverMaxWindowBits must be an integer 8..15');
  }
  if (typeof clientMaxWindowBits === 'number' && !isWindowBits(clientMaxWindowBits)) {
    throw new RangeError('clientMaxWindowBits must be true, false or an integer 8..15');
  }
  if (options.threshold !== undefined && !(options.threshold >= 0)) {
    throw new RangeError('threshold must be a number >= 0');
  }
  const offers: readonly DeflateOffer[] = options.offers ?? [
    {
      serverNoContextTakeover: options.serverNoContextTakeover,
      clientNoContextTakeover: options.clientNoContextTakeover,
      serverMaxWindowBits,
      clientMaxWindowBits: clientMaxWindowBits === false ? undefined : (clientMaxWindowBits ?? true),
    },
  ];
  const offerHeader = formatDeflateOffers(offers); // validates explicit offers now, not at connect time
  const make = (role: 'client' | 'server', params: DeflateParameters): MessageExtension =>
    createDeflateExtension({
      role,
      params,
      compressor,
      threshold: options.threshold,
      level: options.level ?? DEFAULT_DEFLATE_LEVEL,
      memLevel: options.memLevel,
    });
  return {
    name: PERMESSAGE_DEFLATE,
    offer: () => offerHeader,
    negotiateServer(elements) {
      const selection = selectDeflateOffer(elements, {
        serverNoContextTakeover: options.serverNoContextTakeover,
        clientNoContextTakeover: options.clientNoContextTakeover,
        serverMaxWindowBits,
        clientMaxWindowBits: typeof clientMaxWindowBits === 'number' ? clientMaxWindowBits : undefined,
      });
      if (selection === undefined) return undefined;
      return { response: selection.response, params: selection.params, extension: make('server', selection.params) };
    },
    acceptClient(responses) {
      const params = acceptDeflateResponse(responses, offers);
      if (params === undefined || params instanceof ProtocolError) return params;
      return make('client', params);
    },
  };
}
