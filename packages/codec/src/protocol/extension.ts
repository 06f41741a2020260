/**
 * The per-message extension hook (RFC 6455 §9, RFC 7692): the interface a
 * negotiated extension such as permessage-deflate implements so that a
 * {@link Connection} can transform whole messages flagged with RSV1.
 *
 * @module
 */

/**
 * One negotiated per-message extension, one instance per connection.
 *
 * Calls are serialised by the connection: it never calls `decode` again
 * before the previous `decode` settled, nor `encode` before the previous
 * `encode` settled, so a stateful (context takeover) compressor sees messages
 * in order. Results may be promises; the connection keeps events and
 * outgoing frames in order regardless.
 *
 * @example A toy extension that sends every message reversed
 * ```ts
 * const reverse: MessageExtension = {
 *   name: 'x-reverse',
 *   decode: (fragments) => concat(fragments).reverse(),
 *   encode: (payload) => payload.slice().reverse(),
 *   dispose() {},
 * };
 * ```
 */
export interface MessageExtension {
  /** The extension token, e.g. `'permessage-deflate'`. */
  readonly name: string;
  /**
   * Decodes one message received with RSV1 set, given its payload fragments
   * in order. Must stop and fail with `ProtocolError('FW_ERR_MESSAGE_TOO_BIG',
   * 1009)` once the output would exceed `maxSize`; other bad input fails with
   * a `ProtocolError` carrying its close code (1007 for corrupt data). Any
   * other thrown or rejected value is treated as corrupt data (1007).
   *
   * `onOutput` (given for text messages) may be called with each decoded
   * piece, in order, as it is produced: when it returns `false` the message
   * is not valid UTF-8, and decoding should stop and fail with
   * `ProtocolError('FW_ERR_INVALID_UTF8', 1007)`. An extension that ignores
   * it is still correct: the connection then validates the whole result.
   */
  decode(
    fragments: readonly Uint8Array[],
    maxSize: number,
    onOutput?: (chunk: Uint8Array) => boolean,
  ): Uint8Array | Promise<Uint8Array>;
  /**
   * Encodes one outgoing message. Returns `undefined` to send it as-is
   * (without RSV1), for example below a compression threshold. A throw or
   * rejection fails the connection with 1011 (internal error).
   */
  encode(payload: Uint8Array): Uint8Array | Promise<Uint8Array> | undefined;
  /** Releases resources (zlib contexts). Called once when the connection is closed. */
  dispose(): void;
}

/**
 * Is an extension's result a promise (the async path) rather than a value?
 * @internal
 */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
