/**
 * @framewire/codec: the sans-I/O WebSocket protocol core (RFC 6455, RFC 7692).
 *
 * Bytes in, events and bytes out: frames, the opening handshake as pure
 * state machines, permessage-deflate and the `Connection` state machine. No
 * sockets, no timers, no clock. The session layer (`@framewire/codec/session`)
 * and the adapter toolkit (`@framewire/codec/adapter`) build on it; nothing
 * here imports them.
 *
 * @packageDocumentation
 */
export { Opcode, isControlOpcode, isKnownOpcode } from './opcode.js';
export { CloseCode, isValidApiCloseCode, isValidWireCloseCode } from './close-code.js';
export { ProtocolError, UsageError } from './errors.js';
export type { ProtocolErrorCode, UsageErrorCode } from './errors.js';
export { concatBytes, type UninitializedAllocator } from './bytes.js';
export { defaultRandomSource } from './random.js';
export type { RandomSource } from './random.js';

// Frame layer (RFC 6455 §5)
export { mask, maskInto, unmask, type NativeMask } from './mask.js';
export type { CodecHooks } from './hooks.js';
export {
  MAX_CONTROL_PAYLOAD,
  SINGLE_BUFFER_FRAME_LIMIT,
  encodeFrame,
  encodeFrameHeader,
  encodeFrameToBuffer,
  frameHeaderSize,
  writeFrameHeader,
} from './frame.js';
export type { EncodeFrameOptions, Frame, FrameHeader, FrameHeaderOptions } from './frame.js';
export { FrameDecoder } from './frame-decoder.js';
export { prepareMessage } from './prepared-message.js';
export type { PreparedMessage } from './prepared-message.js';
export type {
  FrameDataResult,
  FrameDecoderOptions,
  FrameDecoderResult,
  FrameDecoderRole,
  FrameErrorResult,
  FrameResult,
  FrameStartResult,
} from './frame-decoder.js';

// UTF-8 (RFC 3629), injectable validator
export { defaultUtf8ValidatorFactory, isValidUtf8, utf8ValidatorFromWholeBuffer } from './utf8.js';
export type { Utf8Validator, Utf8ValidatorFactory } from './utf8.js';

// Opening handshake (RFC 6455 §4)
export { WEBSOCKET_GUID, computeAcceptKey, generateKey, isValidKey } from './accept-key.js';
export { DEFAULT_HEAD_LIMITS, HeadParser } from './http-head.js';
export type { HeadError, HeadLimits, HeadParseResult, HttpVersion, RequestHead, ResponseHead } from './http-head.js';
export { HttpHeaders, headerEntries } from './header-tokens.js';
export type { HeaderInit } from './header-tokens.js';
export { ServerHandshake, acceptUpgrade, getQueryParam, originAllowed, parseQuery, rejectUpgrade } from './handshake-server.js';
export type {
  AcceptOptions,
  OriginPolicy,
  RejectOptions,
  ServerHandshakeOptions,
  ServerHandshakeResult,
  UpgradeRequest,
} from './handshake-server.js';
export { ClientHandshake, parseWebSocketUrl } from './handshake-client.js';
export type { ClientHandshakeOptions, ClientHandshakeResult, UpgradeResponse, WebSocketTarget } from './handshake-client.js';
export { HandshakeError } from './handshake-error.js';
export type { HandshakeErrorCode } from './handshake-error.js';
export { parseExtensions, serializeExtensions } from './extension-header.js';
export type { ExtensionOffer, HeaderParseResult } from './extension-header.js';
export { parseSubprotocols, selectSubprotocol, serializeSubprotocols } from './subprotocol.js';

// Extensions: permessage-deflate (RFC 7692) and the pluggable compressor
export type { MessageExtension } from './extension.js';
export type { Compressor, Deflater, DeflaterOptions, InflateFailure, InflateResult, Inflater, InflaterOptions } from './compressor.js';
export {
  PERMESSAGE_DEFLATE,
  acceptDeflateResponse,
  formatDeflateOffer,
  formatDeflateOffers,
  formatDeflateResponse,
  isWindowBits,
  parseDeflateOffer,
  selectDeflateOffer,
} from './permessage-deflate.js';
export type { DeflateOffer, DeflateParameters, DeflateSelection, DeflateServerPolicy, ExtensionElement } from './permessage-deflate.js';
export { DEFAULT_DEFLATE_LEVEL, DEFAULT_DEFLATE_THRESHOLD, createDeflateExtension, deflatedPayload, permessageDeflate } from './deflate-extension.js';
export type { DeflateExtensionOptions, PerMessageDeflateNegotiator, PerMessageDeflateOptions } from './deflate-extension.js';
export { pakoCompressor } from './deflate-pako.js';

// Connection: the sans-I/O state machine (RFC 6455 §5-§7)
export { MAX_CLOSE_REASON_BYTES, encodeClosePayload, parseClosePayload, truncateCloseReason } from './close-payload.js';
export type { ClosePayload } from './close-payload.js';
export { Connection } from './connection.js';
export { DEFAULT_CLOSE_TIMEOUT, DEFAULT_MAX_MESSAGE_SIZE } from './connection-options.js';
export type { ConnectionOptions, ConnectionState, Role } from './connection-options.js';
export type {
  BinaryEvent,
  CloseEvent,
  ClosedEvent,
  ConnectionEvent,
  ErrorEvent,
  MessageDataEvent,
  MessageEndEvent,
  MessageStartEvent,
  MessageStreamEvent,
  PingEvent,
  PongEvent,
  TextEvent,
} from './events.js';
export type { DeflateStats } from './extension-queue.js';
