import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import {
  HandshakeError,
  connectWebSocket,
  parseWebSocketUrl,
  permessageDeflate,
  type HeaderInit,
  type PerMessageDeflateOptions,
  type Session,
  type WebSocketTarget,
} from '@framewire/codec';
import { zlibCompressor } from '@framewire/codec/zlib';
import { ConnectError, HandshakeStatusError } from './errors.js';
import { nodeScheduler } from './node-scheduler.js';
import { openSocket } from './open-socket.js';
import { connectionSettings, sessionSettings, type ConnectionLimits } from './server.js';
import { SocketTransport } from './socket-transport.js';

/** Options of {@link connect}. */
export interface ConnectOptions extends ConnectionLimits {
  /** Subprotocols to offer, in preference order; the chosen one is `session.protocol`. */
  protocols?: readonly string[];
  /** Extra request headers (`Authorization`, `Cookie`...). */
  headers?: HeaderInit;
  /** The `Origin` header to send. */
  origin?: string;
  /** TLS options for wss:// (`ca`, `cert`, `key`, `rejectUnauthorized`, `servername`...). */
  tls?: TlsConnectionOptions;
  /** Ms for TCP connect, TLS and the opening handshake together. Default 10000. */
  handshakeTimeout?: number;
  /** Abort the attempt (before the connection is open). */
  signal?: AbortSignal;
  /** Offer permessage-deflate (RFC 7692) with zlib. Default `true`, like `ws`; `false` to not offer it. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
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
export async function connect(url: string | URL, options: ConnectOptions = {}): Promise<Session> {
  const href = String(url);
  let target: WebSocketTarget;
  try {
    target = parseWebSocketUrl(href);
  } catch (error) {
    throw new ConnectError('FW_ERR_INVALID_URL', (error as Error).message, { cause: error });
  }
  const timeoutMs = options.handshakeTimeout ?? 10_000;
  // One deadline covers TCP, TLS and the HTTP exchange.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const signals = options.signal !== undefined ? [options.signal, deadline.signal] : [deadline.signal];
  const signal = AbortSignal.any(signals);
  const failure = (): ConnectError =>
    deadline.signal.aborted
      ? new ConnectError('FW_ERR_HANDSHAKE_TIMEOUT', `no WebSocket handshake with ${href} within ${timeoutMs} ms`)
      : new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: options.signal?.reason });
  try {
    let socket;
    try {
      socket = await openSocket({ host: target.host, port: target.port, secure: target.secure, tls: options.tls, signal });
    } catch (error) {
      if (error instanceof ConnectError && error.code === 'FW_ERR_ABORTED') throw failure();
      throw error;
    }
    const transport = new SocketTransport(socket);
    socket.on('error', () => {}); // after the handshake, errors reach the session as 1006
    const deflate = options.perMessageDeflate ?? true;
    let upgrade;
    try {
      upgrade = connectWebSocket(transport, {
        ...sessionSettings(options),
        scheduler: nodeScheduler,
        target,
        handshakeTimeout: timeoutMs + 1000, // our own deadline (which includes TCP and TLS) fires first
        ...(options.protocols !== undefined ? { protocols: options.protocols } : {}),
        ...(options.headers !== undefined ? { headers: options.headers } : {}),
        ...(options.origin !== undefined ? { origin: options.origin } : {}),
        extensions: deflate === false ? [] : [permessageDeflate({ compressor: zlibCompressor(), ...(deflate === true ? {} : deflate) })],
        ...(options.maxHeaderBytes !== undefined ? { headLimits: { maxHeaderBytes: options.maxHeaderBytes } } : {}),
        connection: connectionSettings(options),
      });
    } catch (error) {
      transport.destroy(); // a bad header, origin or subprotocol: local misuse, thrown as is
      throw error;
    }
    transport.attach(upgrade);
    const onAbort = (): void => transport.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await upgrade.session;
    } catch (error) {
      if (signal.aborted) throw failure();
      throw handshakeFailure(href, error as Error);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  } finally {
    clearTimeout(timer);
  }
}

function handshakeFailure(href: string, error: Error): ConnectError {
  if ((error as { code?: unknown }).code === 'FW_ERR_HANDSHAKE_TIMEOUT') {
    return new ConnectError('FW_ERR_HANDSHAKE_TIMEOUT', error.message, { cause: error });
  }
  if (error instanceof HandshakeError && error.code === 'FW_ERR_HANDSHAKE_EOF') {
    return new ConnectError('FW_ERR_CONNECTION_CLOSED', `${href} closed the connection during the handshake`, { cause: error });
  }
  if (error instanceof HandshakeError && error.code === 'FW_ERR_HANDSHAKE_STATUS' && error.status !== undefined) {
    const headers: Record<string, string> = {};
    for (const [name, value] of error.headers ?? []) {
      const key = name.toLowerCase();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
    }
    return new HandshakeStatusError(error.status, headers, error.body, `${href} answered ${error.status} instead of 101`);
  }
  return new ConnectError('FW_ERR_HANDSHAKE_INVALID', `invalid handshake response from ${href}: ${error.message}`, { cause: error });
}
