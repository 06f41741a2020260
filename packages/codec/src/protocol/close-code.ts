/** Close status codes, RFC 6455 §7.4.1 (plus 1012-1014 from the IANA registry). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Local only: the close frame carried no code. Never sent. */
  NoStatus: 1005,
  /** Local only: the connection ended without a close frame. Never sent. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
  /** Local only: the TLS handshake failed. Never sent. */
  TlsHandshake: 1015,
} as const;

/**
 * May this code appear in a close frame on the wire? (RFC 6455 §7.4.1-2:
 * 1000-1003, 1007-1014 and 3000-4999.) 1004-1006, 1015, 0-999, 1016-2999
 * and 5000+ are refused, the peer gets 1002.
 */
export function isValidWireCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  );
}

/**
 * May application code pass this to `close()`? Like browsers: 1000 or
 * 3000-4999. The other registered codes are for the library itself, which
 * sends them when it fails a connection.
 */
export function isValidApiCloseCode(code: number): boolean {
  return code === 1000 || (code >= 3000 && code <= 4999);
}
