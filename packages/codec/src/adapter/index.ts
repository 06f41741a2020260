/**
 * `@framewire/codec/adapter`: what an adapter author needs to bind the codec
 * to a runtime. The option mapping, the server core (registry, path filter,
 * accept hook, heartbeat, graceful close) and the client connect flow, plus
 * the process-wide speed-up hooks (a native mask, an allocator for buffers
 * the codec overwrites). The session layer and the protocol core are
 * re-exported, so an adapter imports from one place.
 *
 * @packageDocumentation
 */
export * from '../protocol/index.js';
export * from '../session/index.js';

// Process-wide hooks: an adapter installs them once for the whole process.
export { setUninitializedAllocator, type UninitializedAllocator } from '../protocol/bytes.js';
export { setNativeMask, type NativeMask } from '../protocol/mask.js';

export {
  DEFAULT_ADAPTER_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_PAYLOAD,
  connectionSettings,
  deflateNegotiators,
  sessionSettings,
  upgradeOptions,
} from './adapter-options.js';
export type {
  AbortSignalLike,
  AdapterAcceptHook,
  AdapterRuntime,
  ClientOfferOptions,
  ConnectionLimits,
  ServerPolicyOptions,
} from './adapter-options.js';
export { ServerCore, listenAddress } from './server-core.js';
export { RouteTable, compileRoute } from './route-pattern.js';
export { chooseRoute, pathOf } from './path-router.js';
export type { PathRoute } from './path-router.js';
export type { PathParams, RouteMatcher, RouteParams } from './route-pattern.js';
export { ServerCounters } from './server-metrics.js';
export type { CountedConnection } from './server-metrics.js';
export type { ServerMetrics } from './server-metrics.js';
export { PROMETHEUS_CONTENT_TYPE, escapeLabelValue, formatPrometheus } from './prometheus.js';
export { serverRequest } from './server-request.js';
export type { RemoteEndpoint, ServerRequest } from './server-request.js';
export type {
  AnyPolicyOptions,
  AttachableTransport,
  ListenAddress,
  ServerCloseOptions,
  ServerCoreCloseSteps,
  ServerCoreEvents,
  ServerCoreUpgradeInit,
  ServerEventMap,
} from './server-core.js';
export {
  SERVE_DEFAULTS,
  ServeUpgraderCore,
  heartbeatSilence,
  isWebSocketUpgrade,
  refusalOf,
  requestHeadBytes,
  serveSocketSettings,
} from './serve-upgrader-core.js';
export type {
  ServeAccepted,
  ServeCloseOptions,
  ServeCoreSocket,
  ServePeer,
  ServeRefusal,
  ServeRequestHead,
  ServeSocketOptionsInput,
  ServeSocketSettings,
  ServeUpgraderCoreEvents,
  ServeUpgraderCoreOptions,
  ServeUpgraderSharedOptions,
  ServeVerdict,
} from './serve-upgrader-core.js';
export { ServeSocketBase, serveMessageOf } from './serve-socket-base.js';
export type { HeldMessage, ServeSocketBaseOptions, ServeSocketEventMap } from './serve-socket-base.js';
export { connectTransport } from './client-core.js';
export { RequestSniffer, answerPlainRequest, serveHttp } from './http-fallback.js';
export type { FetchHandler, FirstRequest, ServeHttpOptions } from './http-fallback.js';
export { ProxyTunnel, parseProxyUrl, proxyFor } from './proxy.js';
export type { ProxyEnvironment, ProxySetting, ProxyTarget, TunnelResult } from './proxy.js';
export type { ConnectFlow } from './client-core.js';
export { ReconnectingClient, DEFAULT_RECONNECT_HEARTBEAT } from './reconnecting-client.js';
export type { OnlineInfo, ReconnectCloseInfo, ReconnectEvents, ReconnectOptions, ReconnectRuntime, ReconnectState, ReconnectingInfo } from './reconnecting-client.js';
export { DEFAULT_BACKOFF, backoffCeiling, backoffDelay, backoffSettings } from './reconnect-backoff.js';
export type { BackoffOptions, BackoffSettings } from './reconnect-backoff.js';
export { isRetried, retryAfterMs } from './reconnect-policy.js';
export type { OfflineReason } from './reconnect-policy.js';
export { DEFAULT_SEND_QUEUE, SendQueue } from './reconnect-queue.js';
export type { SendQueueOptions } from './reconnect-queue.js';
export { HUB_PROTOCOL, HubEnvelopeError, decodeHubEnvelope, withSince } from './reconnect-resume.js';
export type { HubMessage } from './reconnect-resume.js';
