/**
 * `@framewire/codec/whatwg`: the web platform's shapes over a framewire
 * Session, written once for every runtime. The WHATWG `WebSocket`
 * (`EventTarget`, `on…` attributes, Blob/ArrayBuffer, the standard's
 * exceptions), the WICG `WebSocketStream` (a readable and a writable with
 * backpressure both ways), and `streamTransport` (a Session over any Web
 * Streams byte pair).
 *
 * Adapters bind the client constructors to their own connect; on a server,
 * `toWebSocket(session)` and `toWebSocketStream(session)` wrap an accepted
 * connection.
 *
 * @packageDocumentation
 */
export { WebSocket, toWebSocket } from './websocket.js';
export type { WebSocketBinaryType, WebSocketData } from './websocket.js';
export { WebSocketError, WebSocketStream, toWebSocketStream } from './websocket-stream.js';
export type {
  WebSocketCloseInfo,
  WebSocketStreamChunk,
  WebSocketStreamConnection,
  WebSocketStreamOptions,
  WebSocketStreamWritable,
} from './websocket-stream.js';
export { checkConnectionShape, shapeConnection } from './connection-shape.js';
export type { ConnectionShape } from './connection-shape.js';
export { streamTransport } from './stream-transport.js';
export type { ByteStreamPair, StreamTransport, StreamTransportOptions } from './stream-transport.js';
export type { AcceptedSource, ConnectRequest, WebSocketConnector } from './connector.js';
export { CloseEventClass, MessageEventClass } from './dom.js';
export type { CloseEventShape, MessageEventShape } from './dom.js';
