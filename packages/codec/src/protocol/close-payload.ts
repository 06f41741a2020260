/**
 * The close frame body, RFC 6455 §5.5.1: empty, or a 2-byte big-endian status
 * code followed by a UTF-8 reason. Control frames hold at most 125 bytes, so
 * the reason fits in 123.
 *
 * @module
 */
import { CloseCode, isValidWireCloseCode } from './close-code.js';
import { ProtocolError, UsageError } from './errors.js';
import { isValidUtf8 } from './utf8.js';

/** Longest close reason in UTF-8 bytes (125 - 2 for the code, RFC 6455 §5.5). */
export const MAX_CLOSE_REASON_BYTES = 123;

/** A decoded close frame body. */
export interface ClosePayload {
  /** The status code, or 1005 ({@link CloseCode.NoStatus}) when the frame had none. */
  readonly code: number;
  readonly reason: string;
}

const reasonDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Parses the body of a received close frame.
 *
 * Returns a {@link ProtocolError} (never throws) for a 1-byte body (1002), a
 * code that may not appear on the wire (1002, RFC 6455 §7.4.1) or a reason
 * that is not UTF-8 (1007, §5.5.1 / §8.1).
 *
 * @example
 * ```ts
 * parseClosePayload(new Uint8Array([0x03, 0xe8])); // { code: 1000, reason: '' }
 * ```
 */
export function parseClosePayload(
  payload: Uint8Array,
  isUtf8: (bytes: Uint8Array) => boolean = isValidUtf8,
): ClosePayload | ProtocolError {
  // RFC 6455 §5.5.1: no body means no status code (reported as 1005, §7.1.5).
  if (payload.length === 0) return { code: CloseCode.NoStatus, reason: '' };
  if (payload.length === 1) {
    return new ProtocolError('FW_ERR_INVALID_CLOSE_PAYLOAD', CloseCode.ProtocolError, 'close frame body of 1 byte');
  }
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidWireCloseCode(code)) {
    return new ProtocolError('FW_ERR_INVALID_CLOSE_CODE', CloseCode.ProtocolError, `invalid close code ${code}`);
  }
  const reasonBytes = payload.subarray(2);
  if (reasonBytes.length === 0) return { code, reason: '' };
  if (!isUtf8(reasonBytes)) {
    return new ProtocolError('FW_ERR_INVALID_UTF8', CloseCode.InvalidPayload, 'close reason is not valid UTF-8');
  }
  return { code, reason: reasonDecoder.decode(reasonBytes) };
}

/**
 * Encodes a close frame body. `code` undefined gives an empty body (RFC 6455
 * §5.5.1 allows a close without a status); a reason needs a code.
 *
 * Checks only what cannot be sent: the caller decides which codes are
 * allowed (see `isValidApiCloseCode` for application code).
 *
 * @throws {UsageError} `FW_ERR_REASON_TOO_LONG` over 123 UTF-8 bytes,
 * `FW_ERR_INVALID_CLOSE_CODE_ARG` for a code outside 0-65535 or a reason without a code.
 */
export function encodeClosePayload(code?: number, reason = ''): Uint8Array {
  if (code === undefined) {
    if (reason !== '') throw new UsageError('FW_ERR_INVALID_CLOSE_CODE_ARG', 'a close reason needs a close code');
    return new Uint8Array(0);
  }
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) {
    throw new UsageError('FW_ERR_INVALID_CLOSE_CODE_ARG', `close code must be an integer 0-65535, got ${code}`);
  }
  // Encode straight into the frame body; a reason of more than 123 bytes
  // cannot fit, so a buffer of 2 + 3 * length (UTF-8 worst case) suffices to detect it.
  const body = new Uint8Array(2 + Math.min(reason.length * 3, MAX_CLOSE_REASON_BYTES + 4));
  body[0] = code >>> 8;
  body[1] = code & 0xff;
  const { read, written } = encoder.encodeInto(reason, body.subarray(2));
  if (read < reason.length || written > MAX_CLOSE_REASON_BYTES) {
    throw new UsageError('FW_ERR_REASON_TOO_LONG', `close reason must be at most ${MAX_CLOSE_REASON_BYTES} UTF-8 bytes`);
  }
  return body.subarray(0, 2 + written);
}

/**
 * `reason` cut to at most 123 UTF-8 bytes on a character boundary, so a
 * close frame built from it stays within 125 bytes (RFC 6455 §5.5):
 * `encodeInto` stops before a character that does not fit whole, surrogate
 * pairs included. For reasons the library passes on from elsewhere (a peer's,
 * another runtime's); the API's `close()` refuses a longer one instead.
 */
export function truncateCloseReason(reason: string): string {
  if (reason.length <= MAX_CLOSE_REASON_BYTES / 3) return reason;
  const { read } = encoder.encodeInto(reason, new Uint8Array(MAX_CLOSE_REASON_BYTES));
  return read === reason.length ? reason : reason.slice(0, read);
}
