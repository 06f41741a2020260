/**
 * `@framewire/codec/zlib`: the node:zlib-backed DEFLATE engine for
 * permessage-deflate on Node, Deno and Bun. The core never imports this
 * subpath, so it stays loadable in browsers.
 *
 * @example
 * ```ts
 * import { permessageDeflate } from '@framewire/codec';
 * import { zlibCompressor } from '@framewire/codec/zlib';
 * const extensions = [permessageDeflate({ threshold: 1024, compressor: zlibCompressor() })];
 * ```
 *
 * @packageDocumentation
 */
export { zlibCompressor } from './zlib-compressor.js';
export type { ZlibCompressorOptions } from './zlib-compressor.js';
export { ZlibLimiter, sharedZlibLimiter } from './limiter.js';
