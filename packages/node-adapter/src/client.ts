import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { connectTransport, type ClientOfferOptions, type Session } from '@framewire/codec/adapter';
import { openSocket, openTunnel } from './open-socket.js';
import { nodeRuntime } from './server.js';
import { SocketTransport } from './socket-transport.js';
import type { ClientHttp2Session } from 'node:http2';
import { openHttp2Transport } from './http2-connect.js';

/** Options of {@link connect}: the codec's shared client options plus Node's TLS options. */
export interface ConnectOptions extends ClientOfferOptions {
  /** TLS options for wss:// (`ca`, `cert`, `key`, `rejectUnauthorized`, `servername`...). */
  tls?: TlsConnectionOptions;
  /** Abort the attempt (before the connection is open). */
  signal?: AbortSignal;
  /**
   * Open the WebSocket as an HTTP/2 stream (RFC 8441 extended CONNECT): wss://
   * over TLS with ALPN h2, ws:// over cleartext h2c. WebSockets to the same
   * origin share one HTTP/2 connection, closed when the last one ends. No
   * fallback: a server that does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL
   * fails with `FW_ERR_HANDSHAKE_INVALID`.
   */
  http2?: boolean;
  /** Open the WebSocket as a stream of this HTTP/2 session (yours to close); implies `http2`. */
  http2Session?: ClientHttp2Session;
}

/**
 * Open a WebSocket connection to a `ws://` or `wss://` URL. Resolves with
 * the same `Session` a server hands to its 'connection' listeners, once the
 * opening handshake succeeded.
 *
 * Rejects with a {@link ConnectError} whose `code` says why:
 * `FW_ERR_CONNECTION_FAILED` (refused, unreachable), `FW_ERR_TLS`,
 * `FW_ERR_HANDSHAKE_STATUS` (a {@link HandshakeStatusError} with `status`,
 * `headers` and `body`), `FW_ERR_HANDSHAKE_INVALID`, `FW_ERR_HANDSHAKE_TIMEOUT`,
 * `FW_ERR_CONNECTION_CLOSED`, `FW_ERR_ABORTED`, `FW_ERR_INVALID_URL`.
 *
 * @example
 * ```ts
 * const ws = await connect('wss://example.com/chat', { protocols: ['chat.v1'], tls: { ca } });
 * ws.on('message', (data) => console.log(data));
 * ws.send('hello');
 * ```
 */
export function connect(url: string | URL, options: ConnectOptions = {}): Promise<Session> {
  if (options.http2 === true || options.http2Session !== undefined) {
    return connectTransport(url, options, {
      runtime: nodeRuntime,
      open: (target, signal) => openHttp2Transport(target, options.tls, options.http2Session, signal),
      opened: (session, transport) => transport.opened(session),
    });
  }
  return connectTransport(url, options, {
    runtime: nodeRuntime,
    open: async (target, signal, proxy) => {
      const through = proxy === undefined ? undefined : await openTunnel(proxy, target, signal);
      const socket = await openSocket({ host: target.host, port: target.port, secure: target.secure, tls: options.tls, signal, through });
      socket.on('error', () => {}); // after the handshake, errors reach the session as 1006
      return new SocketTransport(socket);
    },
    proxyEnvironment: () => process.env,
  });
}
