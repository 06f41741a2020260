/**
 * @framewire/node-adapter: framewire WebSocket servers and clients on Node.
 *
 * A thin layer: Node sockets, TLS and http servers on one side, the codec's
 * upgrade drivers and `Session` on the other. Every protocol decision is the
 * codec's.
 *
 * @packageDocumentation
 */
export { WebSocketServer, nodeUtf8 } from './server.js';
export type { AcceptHook, CloseOptions, FetchHandler, FetchInfo, ServerEvents, ServerOptions, UpgradeContext } from './server.js';
export { connect } from './client.js';
export { reconnect } from './reconnect.js';
export type { ReconnectConnectOptions } from './reconnect.js';
export type { ConnectOptions } from './client.js';
export { SocketTransport } from './socket-transport.js';
export { Http2StreamTransport } from './http2-stream-transport.js';
export { http2StreamOf } from './http2-serve.js';
export { nodeScheduler } from './node-scheduler.js';
export { nativeMaskInUse, useNativeMaskIfInstalled } from './native-hooks.js';

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
export const runtime = 'node';
