/**
 * Stable, machine-readable error codes. Users match on these strings, so a
 * code is never renamed once released.
 */
export type ProtocolErrorCode =
  | 'FW_ERR_RESERVED_OPCODE'
  | 'FW_ERR_UNEXPECTED_RSV'
  | 'FW_ERR_CONTROL_TOO_LONG'
  | 'FW_ERR_CONTROL_FRAGMENTED'
  | 'FW_ERR_LENGTH_TOP_BIT'
  | 'FW_ERR_MASK_REQUIRED'
  | 'FW_ERR_MASK_FORBIDDEN'
  | 'FW_ERR_FRAME_TOO_BIG'
  | 'FW_ERR_MESSAGE_TOO_BIG'
  | 'FW_ERR_UNEXPECTED_CONTINUATION'
  | 'FW_ERR_EXPECTED_CONTINUATION'
  | 'FW_ERR_INVALID_UTF8'
  | 'FW_ERR_INVALID_CLOSE_PAYLOAD'
  | 'FW_ERR_INVALID_CLOSE_CODE'
  | 'FW_ERR_DECOMPRESSION'
  | 'FW_ERR_EXTENSION'
  | 'FW_ERR_DATA_AFTER_CLOSE'
  | 'FW_ERR_TIMEOUT'
  | 'FW_ERR_PING_FLOOD'
  | 'FW_ERR_INTERNAL';

/**
 * The peer broke the protocol. Never thrown out of the codec's public
 * entry points: it is returned or reported as an event, and carries the close
 * code our close frame sends (RFC 6455 §7.4.1).
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    /** Stable code string, e.g. `FW_ERR_RESERVED_OPCODE`. */
    readonly code: ProtocolErrorCode,
    /** The close code to send, e.g. 1002, 1007, 1009. */
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Codes of {@link UsageError}: local misuse of the API. */
export type UsageErrorCode =
  | 'FW_ERR_INVALID_STATE'
  | 'FW_ERR_INVALID_ARGUMENT'
  | 'FW_ERR_INVALID_CLOSE_CODE_ARG'
  | 'FW_ERR_REASON_TOO_LONG'
  | 'FW_ERR_CONTROL_PAYLOAD_TOO_LONG'
  | 'FW_ERR_CLOSED';

/** The caller used the API wrongly (send after close, a bad close code...). Thrown synchronously. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    readonly code: UsageErrorCode,
    message: string,
  ) {
    super(message);
  }
}
