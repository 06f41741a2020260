/**
 * @framewire/bun-adapter: framewire WebSocket servers and clients on Bun.
 *
 * A thin layer: Bun's TCP and TLS sockets (`Bun.listen`, `Bun.connect`) on
 * one side, the codec's upgrade drivers and `Session` on the other. Every
 * protocol decision is the codec's. The API is the one of
 * `@framewire/node-adapter` (without its Node-only attach mode), so code
 * moves between the two by changing the import.
 *
 * @packageDocumentation
 */
export { WebSocketServer } from './server.js';
export type { AcceptHook, AddressInfo, CloseOptions, ServerEvents, ServerOptions, UpgradeContext } from './server.js';
export { bunUtf8 } from './bun-runtime.js';
// Bun.serve on the same port as your HTTP routes: framewire's handshake policy, limits and topics over Bun's own framing.
export { BunServeUpgrader, bunIdleTimeout, isWebSocketRequest } from './serve.js';
export type { BunServeAcceptHook, BunServePublishOptions, BunServeUpgradeContext, BunServeUpgraderEvents, BunServeUpgraderOptions } from './serve.js';
export { BunServeSocket } from './serve-socket.js';
export type { BunServeSocketEvents, BunServeSocketOptions } from './serve-socket.js';
export { connect } from './client.js';
export { reconnect } from './reconnect.js';
export type { ReconnectConnectOptions } from './reconnect.js';
export type { ConnectOptions } from './client.js';
export { BunSocketTransport } from './socket-transport.js';
export { bunScheduler } from './bun-scheduler.js';

// The WHATWG WebSocket and the WICG WebSocketStream, bound to this adapter's connect.
export { WebSocket, WebSocketError, WebSocketStream, streamTransport, toWebSocket, toWebSocketStream } from './whatwg.js';
export type {
  ByteStreamPair,
  ConnectionShape,
  ShapedConnection,
  StreamTransport,
  StreamTransportOptions,
  WebSocketBinaryType,
  WebSocketCloseInfo,
  WebSocketData,
  WebSocketStreamChunk,
  WebSocketStreamConnection,
  WebSocketStreamOptions,
  WebSocketStreamWritable,
} from './whatwg.js';

// The codec names users need with the adapter (one list for every adapter),
// so one import suffices. The connect errors are the codec's: `instanceof
// ConnectError` holds whichever adapter threw it.
export * from '@framewire/codec/adapter/public';

/** The runtime this adapter binds the codec to. */
export const runtime = 'bun';
