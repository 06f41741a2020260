/**
 * The WHATWG `WebSocket` and the WICG `WebSocketStream` bound to this
 * adapter's {@link connect}: browser code runs unchanged. The classes and
 * their behaviour are the codec's (`@framewire/codec/whatwg`), the same on
 * every runtime.
 *
 * @module
 */
import type { Session } from '@framewire/codec/adapter';
import {
  shapeConnection,
  type ConnectionShape,
  WebSocket as WhatwgWebSocket,
  WebSocketStream as WhatwgWebSocketStream,
  type WebSocketConnector,
  type WebSocketStreamOptions,
} from '@framewire/codec/whatwg';
import { connect } from './client.js';

const connector: WebSocketConnector = (url, { protocols, signal }) => connect(url, { protocols, signal });

/**
 * The browser's `WebSocket` (WHATWG standard) on this runtime.
 *
 * @example
 * ```ts
 * const ws = new WebSocket('ws://127.0.0.1:8080/', ['chat']);
 * ws.binaryType = 'arraybuffer';
 * ws.onopen = () => ws.send('hello');
 * ws.onmessage = (event) => console.log(event.data);
 * ws.onclose = (event) => console.log(event.code, event.reason, event.wasClean);
 * ```
 */
export class WebSocket extends WhatwgWebSocket {
  /**
   * @param url `ws:`, `wss:`, `http:` or `https:` URL without a fragment.
   * @param protocols subprotocols to offer.
   * @throws DOMException `SyntaxError` for a bad URL or subprotocol list.
   */
  constructor(url: string | URL, protocols?: string | Iterable<string>) {
    super(url, protocols, connector);
  }
}

/**
 * `WebSocketStream` (WICG explainer) on this runtime: `opened` gives a
 * readable and a writable with backpressure both ways.
 *
 * @example
 * ```ts
 * const wss = new WebSocketStream('ws://127.0.0.1:8080/');
 * const { readable, writable } = await wss.opened;
 * const writer = writable.getWriter();
 * await writer.write('hello');
 * for await (const message of readable) console.log(message);
 * ```
 */
export class WebSocketStream extends WhatwgWebSocketStream {
  /**
   * @param url `ws:`, `wss:`, `http:` or `https:` URL without a fragment.
   * @param options `protocols` to offer, `signal` to abort the handshake.
   * @throws DOMException `SyntaxError` for a bad URL or subprotocol list.
   */
  constructor(url: string | URL, options: WebSocketStreamOptions = {}) {
    super(url, options, connector);
  }
}

/**
 * Wrap a session this server accepted in the WHATWG {@link WebSocket}
 * (already OPEN: no `open` event), so browser-style code runs on the server.
 * Or use the server's `shape: 'websocket'` option.
 *
 * @example
 * ```ts
 * server.on('connection', (session) => {
 *   const ws = toWebSocket(session);
 *   ws.onmessage = (event) => ws.send(event.data);
 * });
 * ```
 */
export function toWebSocket(session: Session, options: { url?: string } = {}): WebSocket {
  return shaped(session, 'websocket', options.url) as WebSocket;
}

/**
 * Wrap a session this server accepted as a {@link WebSocketStream}: `opened`
 * resolves at once with `{ readable, writable }`. Or use the server's
 * `shape: 'websocketstream'` option.
 *
 * @example
 * ```ts
 * server.on('connection', async (session) => {
 *   const { readable, writable } = await toWebSocketStream(session).opened;
 *   await readable.pipeTo(writable);
 * });
 * ```
 */
export function toWebSocketStream(session: Session, options: { url?: string } = {}): WebSocketStream {
  return shaped(session, 'websocketstream', options.url) as WebSocketStream;
}

/**
 * What a server's 'connection' event hands out for `S` (see {@link ConnectionShape}).
 * Give `shape` as a literal: a wider type (`ConnectionShape`) types it as the default `Session`,
 * so options passed around as plain `ServerOptions` keep their old typing.
 */
export type ShapedConnection<S extends ConnectionShape, Data = unknown> = [S] extends ['websocket'] ? WebSocket : [S] extends ['websocketstream'] ? WebSocketStream : Session<Data>;

/** `session` as `shape`, made with this adapter's classes (so `instanceof WebSocket` holds). @internal */
export function shaped(session: Session, shape: ConnectionShape, url?: string): Session | WebSocket | WebSocketStream {
  return shapeConnection(session, shape, { WebSocket, WebSocketStream }, url) as Session | WebSocket | WebSocketStream;
}

export { WebSocketError, streamTransport } from '@framewire/codec/whatwg';
export type {
  ConnectionShape,
  ByteStreamPair,
  StreamTransport,
  StreamTransportOptions,
  WebSocketBinaryType,
  WebSocketCloseInfo,
  WebSocketData,
  WebSocketStreamChunk,
  WebSocketStreamConnection,
  WebSocketStreamOptions,
  WebSocketStreamWritable,
} from '@framewire/codec/whatwg';
