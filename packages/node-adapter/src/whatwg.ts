/**
 * The WHATWG `WebSocket` and the WICG `WebSocketStream` bound to this
 * adapter's {@link connect}: browser code runs unchanged. The classes and
 * their behaviour are the codec's (`@framewire/codec/whatwg`), the same on
 * every runtime.
 *
 * @module
 */
import {
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

export { WebSocketError, streamTransport, toWebSocket, toWebSocketStream } from '@framewire/codec/whatwg';
export type {
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
