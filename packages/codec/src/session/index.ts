/**
 * `@framewire/codec/session`: one protocol `Connection` bound to one
 * `Transport` and a `Scheduler` (the `Session` every adapter hands out), the
 * opening handshake over a transport (upgrade drivers, accept hooks), the
 * server registry and the typed connect errors. Runtime-neutral: adapters
 * bring the transport and the clock.
 *
 * @packageDocumentation
 */
// Session: one Connection bound to one Transport and a Scheduler
export type { Transport, TransportSink } from './transport.js';
export type { Scheduler } from './scheduler.js';
export { ReadyState, Session } from './session.js';
export type {
  BinaryType,
  CloseInfo,
  MessageBody,
  MessageBodyReader,
  ReadableStreamConstructorLike,
  SessionEvents,
  SessionInit,
  SessionOptions,
} from './session.js';
export { MESSAGE_STREAM_HIGH_WATER } from './message-stream.js';
export type { SessionMessage } from './session-inbox.js';
export { DEFAULT_SERVER_HEARTBEAT, ServerRegistry } from './server-registry.js';
export type { HeartbeatOptions, Reservation, ServerRegistryOptions, ShutdownOptions } from './server-registry.js';

// Topics: pub/sub inside one server, encode once
export { DEFAULT_TOPIC_BACKPRESSURE, TopicRegistry } from './topic-registry.js';
export type { PublishData, PublishOptions, TopicBackpressure, TopicBackpressurePolicy } from './topic-registry.js';
export { MAX_TOPIC_LENGTH } from './topic-name.js';
export { TopicDeflate, sharedDeflateWindow } from './topic-deflate.js';
export type { TopicDeflateOptions } from './topic-deflate.js';
export { MemoryBroker } from './broker.js';
export type { Broker, BrokerListener, BrokerMessage } from './broker.js';

// Upgrade drivers: the opening handshake over a Transport, shared by every adapter
export { DEFAULT_HANDSHAKE_TIMEOUT } from './upgrade.js';
export type { ExtensionNegotiator, UpgradeConnectionOptions, UpgradeOptions } from './upgrade.js';
export { ServerUpgrade, accept, acceptWebSocket, allOf, allowOrigins, bearerToken, reject } from './upgrade-server.js';
export type { AcceptDecision, AcceptHook, AcceptInit, RejectDecisionInit, ServerUpgradeOptions, ServerUpgradeResult } from './upgrade-server.js';
export { ClientUpgrade, HandshakeTimeoutError, connectWebSocket } from './upgrade-client.js';
export type { ClientUpgradeOptions } from './upgrade-client.js';
export { TimerSlot } from './scheduler.js';
export { ConnectError, HandshakeStatusError, connectErrorFrom, headerRecord } from './connect-errors.js';
export type { ConnectErrorCode } from './connect-errors.js';
