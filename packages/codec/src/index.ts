/**
 * @framewire/codec: a sans-I/O WebSocket protocol core (RFC 6455, RFC 7692).
 *
 * Bytes in, events and bytes out. No sockets, no timers, no clock: adapters
 * for Node, Deno and Bun (and any transport you bring) drive it.
 *
 * @packageDocumentation
 */
export { Opcode, isControlOpcode, isKnownOpcode } from './protocol/opcode.js';
export { CloseCode, isValidApiCloseCode, isValidWireCloseCode } from './protocol/close-code.js';
export { ProtocolError, UsageError } from './protocol/errors.js';
export type { ProtocolErrorCode, UsageErrorCode } from './protocol/errors.js';
export { concatBytes, setUninitializedAllocator, type UninitializedAllocator } from './protocol/bytes.js';
export { defaultRandomSource } from './protocol/random.js';
export type { RandomSource } from './protocol/random.js';

// Frame layer (RFC 6455 §5)
export { mask, maskInto, setNativeMask, unmask, type NativeMask } from './protocol/mask.js';
export {
  MAX_CONTROL_PAYLOAD,
  SINGLE_BUFFER_FRAME_LIMIT,
  encodeFrame,
  encodeFrameHeader,
  encodeFrameToBuffer,
  frameHeaderSize,
  writeFrameHeader,
} from './protocol/frame.js';
export type { EncodeFrameOptions, Frame, FrameHeader, FrameHeaderOptions } from './protocol/frame.js';
export { FrameDecoder } from './protocol/frame-decoder.js';
export type {
  FrameDataResult,
  FrameDecoderOptions,
  FrameDecoderResult,
  FrameDecoderRole,
  FrameErrorResult,
  FrameResult,
  FrameStartResult,
} from './protocol/frame-decoder.js';

// UTF-8 (RFC 3629), injectable validator
export { defaultUtf8ValidatorFactory, isValidUtf8, utf8ValidatorFromWholeBuffer } from './protocol/utf8.js';
export type { Utf8Validator, Utf8ValidatorFactory } from './protocol/utf8.js';

// Opening handshake (RFC 6455 §4)
export { WEBSOCKET_GUID, computeAcceptKey, generateKey, isValidKey } from './protocol/accept-key.js';
export { DEFAULT_HEAD_LIMITS, HeadParser } from './protocol/http-head.js';
export type { HeadError, HeadLimits, HeadParseResult, HttpVersion, RequestHead, ResponseHead } from './protocol/http-head.js';
export { HttpHeaders } from './protocol/header-tokens.js';
export type { HeaderInit } from './protocol/header-tokens.js';
export { ServerHandshake, acceptUpgrade, getQueryParam, originAllowed, parseQuery, rejectUpgrade } from './protocol/handshake-server.js';
export type {
  AcceptOptions,
  OriginPolicy,
  RejectOptions,
  ServerHandshakeOptions,
  ServerHandshakeResult,
  UpgradeRequest,
} from './protocol/handshake-server.js';
export { ClientHandshake, parseWebSocketUrl } from './protocol/handshake-client.js';
export type { ClientHandshakeOptions, ClientHandshakeResult, UpgradeResponse, WebSocketTarget } from './protocol/handshake-client.js';
export { HandshakeError } from './protocol/handshake-error.js';
export type { HandshakeErrorCode } from './protocol/handshake-error.js';
export { parseExtensions, serializeExtensions } from './protocol/extension-header.js';
export type { ExtensionOffer, HeaderParseResult } from './protocol/extension-header.js';
export { parseSubprotocols, selectSubprotocol, serializeSubprotocols } from './protocol/subprotocol.js';

// Extensions: permessage-deflate (RFC 7692) and the pluggable compressor
export type { MessageExtension } from './protocol/extension.js';
export type { Compressor, Deflater, DeflaterOptions, InflateFailure, InflateResult, Inflater, InflaterOptions } from './protocol/compressor.js';
export {
  PERMESSAGE_DEFLATE,
  acceptDeflateResponse,
  formatDeflateOffer,
  formatDeflateOffers,
  formatDeflateResponse,
  isWindowBits,
  parseDeflateOffer,
  selectDeflateOffer,
} from './protocol/permessage-deflate.js';
export type { DeflateOffer, DeflateParameters, DeflateSelection, DeflateServerPolicy, ExtensionElement } from './protocol/permessage-deflate.js';
export { DEFAULT_DEFLATE_LEVEL, DEFAULT_DEFLATE_THRESHOLD, createDeflateExtension, permessageDeflate } from './protocol/deflate-extension.js';
export type { DeflateExtensionOptions, PerMessageDeflateNegotiator, PerMessageDeflateOptions } from './protocol/deflate-extension.js';
export { pakoCompressor } from './protocol/deflate-pako.js';

// Connection: the sans-I/O state machine (RFC 6455 §5-§7)
export { MAX_CLOSE_REASON_BYTES, encodeClosePayload, parseClosePayload } from './protocol/close-payload.js';
export type { ClosePayload } from './protocol/close-payload.js';
export { Connection } from './protocol/connection.js';
export { DEFAULT_CLOSE_TIMEOUT, DEFAULT_MAX_MESSAGE_SIZE } from './protocol/connection-options.js';
export type { ConnectionOptions, ConnectionState, Role } from './protocol/connection-options.js';
export type { BinaryEvent, CloseEvent, ClosedEvent, ConnectionEvent, ErrorEvent, PingEvent, PongEvent, TextEvent } from './protocol/events.js';

// Session: one Connection bound to one Transport and a Scheduler
export type { Transport, TransportSink } from './session/transport.js';
export type { Scheduler } from './session/scheduler.js';
export { ReadyState, Session } from './session/session.js';
export type { BinaryType, CloseInfo, SessionEvents, SessionInit, SessionOptions } from './session/session.js';
export type { SessionMessage } from './session/session-inbox.js';
export { DEFAULT_SERVER_HEARTBEAT, ServerRegistry } from './session/server-registry.js';
export type { HeartbeatOptions, Reservation, ServerRegistryOptions, ShutdownOptions } from './session/server-registry.js';

// Upgrade drivers: the opening handshake over a Transport, shared by every adapter
export { DEFAULT_HANDSHAKE_TIMEOUT } from './session/upgrade.js';
export type { ExtensionNegotiator, UpgradeConnectionOptions, UpgradeOptions } from './session/upgrade.js';
export { ServerUpgrade, accept, acceptWebSocket, allOf, allowOrigins, bearerToken, reject } from './session/upgrade-server.js';
export type { AcceptDecision, AcceptHook, RejectDecisionInit, ServerUpgradeOptions, ServerUpgradeResult } from './session/upgrade-server.js';
export { ClientUpgrade, HandshakeTimeoutError, connectWebSocket } from './session/upgrade-client.js';
export type { ClientUpgradeOptions } from './session/upgrade-client.js';
export { TimerSlot } from './session/scheduler.js';

// Adapter toolkit: what every runtime adapter shares (DESIGN.md "Adapters are thin")
export {
  DEFAULT_ADAPTER_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_PAYLOAD,
  connectionSettings,
  deflateNegotiators,
  sessionSettings,
  upgradeOptions,
} from './adapter/adapter-options.js';
export type {
  AbortSignalLike,
  AdapterAcceptHook,
  AdapterRuntime,
  ClientOfferOptions,
  ConnectionLimits,
  ServerPolicyOptions,
} from './adapter/adapter-options.js';
export { ConnectError, HandshakeStatusError, connectErrorFrom, headerRecord } from './session/connect-errors.js';
export type { ConnectErrorCode } from './session/connect-errors.js';
export { ServerCore, listenAddress } from './adapter/server-core.js';
export type {
  AttachableTransport,
  ListenAddress,
  ServerCloseOptions,
  ServerCoreCloseSteps,
  ServerCoreEvents,
  ServerCoreUpgradeInit,
  ServerEventMap,
} from './adapter/server-core.js';
export { connectTransport } from './adapter/client-core.js';
export type { ConnectFlow } from './adapter/client-core.js';
export { ECHO_OPTIONS, ECHO_READY_LINE, echoCloseLine, echoExitCode, echoFailureLine, echoListener } from './adapter/echo.js';
export type { EchoData, EchoSocket } from './adapter/echo.js';
