/**
 * `@framewire/codec/adapter/public`: the one list of codec names every
 * adapter hands its users beside its own server and `connect`, so one
 * import suffices. Each adapter's entry point does
 * `export * from '@framewire/codec/adapter/public'`. The connect errors are
 * the codec's, shared by every adapter: `instanceof ConnectError` holds
 * whichever adapter threw it.
 *
 * @packageDocumentation
 */
export { CloseCode } from '../protocol/close-code.js';
export { UsageError } from '../protocol/errors.js';
export { getQueryParam, originAllowed } from '../protocol/handshake-server.js';
export type { UpgradeRequest } from '../protocol/handshake-server.js';
export type { UpgradeResponse } from '../protocol/handshake-client.js';
export { ReadyState, Session } from '../session/session.js';
export type { CloseInfo, MessageBody, MessageBodyReader } from '../session/session.js';
export { MESSAGE_STREAM_HIGH_WATER } from '../session/message-stream.js';
export type { SessionMessage } from '../session/session-inbox.js';
export { DEFAULT_SERVER_HEARTBEAT } from '../session/server-registry.js';
export type { HeartbeatOptions } from '../session/server-registry.js';
export { accept, allOf, allowOrigins, bearerToken, reject } from '../session/upgrade-server.js';
export type { AcceptDecision, AcceptInit } from '../session/upgrade-server.js';
export { compileRoute } from './route-pattern.js';
export type { PathParams, RouteParams } from './route-pattern.js';
export type { ServerMetrics } from './server-metrics.js';
export type { DeflateStats } from '../protocol/extension-queue.js';
export { PROMETHEUS_CONTENT_TYPE, formatPrometheus } from './prometheus.js';
export type { RemoteEndpoint, ServerRequest } from './server-request.js';
export { ConnectError, HandshakeStatusError } from '../session/connect-errors.js';
export type { ConnectErrorCode } from '../session/connect-errors.js';
export type { ConnectionLimits } from './adapter-options.js';
export { DEFAULT_TOPIC_BACKPRESSURE } from '../session/topic-registry.js';
export type { PublishData, PublishOptions, TopicBackpressure, TopicBackpressurePolicy } from '../session/topic-registry.js';
export { MAX_TOPIC_LENGTH } from '../session/topic-name.js';
export { MemoryBroker } from '../session/broker.js';
export type { Broker, BrokerListener, BrokerMessage } from '../session/broker.js';
export { ReconnectingClient, DEFAULT_RECONNECT_HEARTBEAT } from './reconnecting-client.js';
export type { OnlineInfo, ReconnectCloseInfo, ReconnectEvents, ReconnectOptions, ReconnectState, ReconnectingInfo } from './reconnecting-client.js';
export { DEFAULT_BACKOFF } from './reconnect-backoff.js';
export type { BackoffOptions } from './reconnect-backoff.js';
export type { OfflineReason } from './reconnect-policy.js';
export { DEFAULT_SEND_QUEUE } from './reconnect-queue.js';
export type { SendQueueOptions } from './reconnect-queue.js';
export { HUB_PROTOCOL, HubEnvelopeError } from './reconnect-resume.js';
export type { HubMessage } from './reconnect-resume.js';
