import type { TLSOptions } from 'bun';
import { connectTransport, type ClientOfferOptions, type Session } from '@framewire/codec/adapter';
import { bunRuntime } from './bun-runtime.js';
import { openSocket, openTunnel, startTls } from './open-socket.js';

/** Options of {@link connect}: the codec's shared client options plus Bun's TLS options. */
export interface ConnectOptions extends ClientOfferOptions {
  /** TLS options for wss:// (`ca`, `cert`, `key`, `rejectUnauthorized`, `servername`...). */
  tls?: TLSOptions;
  /** Abort the attempt (before the connection is open). */
  signal?: AbortSignal;
}

/**
 * Open a WebSocket connection to a `ws://` or `wss://` URL over
 * `Bun.connect`. Resolves with the same `Session` a server hands to its
 * 'connection' listeners, once the opening handshake succeeded.
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
  return connectTransport(url, options, {
    runtime: bunRuntime,
    open: async (target, signal, proxy) => {
      if (proxy === undefined) return openSocket({ host: target.host, port: target.port, secure: target.secure, tls: options.tls, signal });
      const tunnel = await openTunnel(proxy, target, signal);
      return target.secure ? startTls(tunnel, target.host, options.tls, signal) : tunnel;
    },
    proxyEnvironment: () => process.env,
  });
}
