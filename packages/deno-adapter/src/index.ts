/**
 * @framewire/deno-adapter: framewire WebSocket servers and clients on Deno.
 *
 * Two paths. The raw-TCP `WebSocketServer` (`Deno.listen`/`Deno.listenTls`)
 * and `connect()` (`Deno.connect`/`Deno.connectTls`) hand every byte to the
 * codec: the full feature set, with the API of `@framewire/node-adapter`.
 * `ServeUpgrader` brings the codec's handshake policy to `Deno.serve`
 * handlers and wraps `Deno.upgradeWebSocket` in the same connection API,
 * with the limits Deno imposes on that path (see the README).
 *
 * @packageDocumentation
 */
export { WebSocketServer } from './server.js';
export type { AcceptHook, AddressInfo, CloseOptions, ServerEvents, ServerOptions, ServerTlsOptions, UpgradeContext } from './server.js';
export type { FetchHandler, FetchInfo } from './server.js';
export { denoUtf8 } from './deno-runtime.js';
export type { ConnectionLimits } from './deno-runtime.js';
export { connect } from './client.js';
export { reconnect } from './reconnect.js';
export type { ReconnectConnectOptions } from './reconnect.js';
export type { ClientTlsOptions, ConnectOptions } from './client.js';
export { ConnTransport, released } from './conn-transport.js';
export type { ConnTransportOptions } from './conn-transport.js';
export { denoScheduler } from './deno-scheduler.js';
export { ServeUpgrader, isWebSocketRequest } from './serve.js';
export type { ServeAcceptHook, ServeShaped, ServeUpgradeContext, ServeUpgraderEvents, ServeUpgraderOptions } from './serve.js';
export { ServeSocket } from './serve-socket.js';
export type { ServeSocketEvents, ServeSocketOptions } from './serve-socket.js';

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
export const runtime = 'deno';
