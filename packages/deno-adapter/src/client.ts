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
import { ConnTransport, trackTransport } from './conn-transport.js';
import { denoScheduler } from './deno-scheduler.js';
import { ConnectError, HandshakeStatusError } from './errors.js';
import { connectionSettings, headerRecord, sessionSettings, type ConnectionLimits } from './limits.js';

/** TLS settings of {@link connect} for wss://. */
export interface ClientTlsOptions {
  /** Extra trusted CA certificates, PEM (e.g. a self-signed server certificate). */
  caCerts?: string[];
}

/** Options of {@link connect}. */
export interface ConnectOptions extends ConnectionLimits {
  /** Subprotocols to offer, in preference order; the chosen one is `session.protocol`. */
  protocols?: readonly string[];
  /** Extra request headers (`Authorization`, `Cookie`...). */
  headers?: HeaderInit;
  /** The `Origin` header to send. */
  origin?: string;
  /** TLS options for wss://. */
  tls?: ClientTlsOptions;
  /** Ms for TCP connect, TLS and the opening handshake together. Default 10000. */
  handshakeTimeout?: number;
  /** Abort the attempt (before the connection is open). */
  signal?: AbortSignal;
  /** Offer permessage-deflate (RFC 7692) with node:zlib. Default `true`, like `ws`; `false` to not offer it. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/**
 * Open a WebSocket connection to a `ws://` or `wss://` URL with
 * `Deno.connect` / `Deno.connectTls`. Resolves with the same `Session` a
 * server hands to its 'connection' listeners, once the opening handshake
 * succeeded.
 *
 * Rejects with a {@link ConnectError} whose `code` says why:
 * `FW_ERR_CONNECTION_FAILED` (refused, unreachable), `FW_ERR_TLS`,
 * `FW_ERR_HANDSHAKE_STATUS` (a {@link HandshakeStatusError} with `status`,
 * `headers` and `body`), `FW_ERR_HANDSHAKE_INVALID`, `FW_ERR_HANDSHAKE_TIMEOUT`,
 * `FW_ERR_CONNECTION_CLOSED`, `FW_ERR_ABORTED`, `FW_ERR_INVALID_URL`.
 *
 * @example
 * ```ts
 * const ws = await connect('wss://example.com/chat', { protocols: ['chat.v1'] });
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
  const signal = options.signal !== undefined ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  const failure = (): ConnectError =>
    deadline.signal.aborted
      ? new ConnectError('FW_ERR_HANDSHAKE_TIMEOUT', `no WebSocket handshake with ${href} within ${timeoutMs} ms`)
      : new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: options.signal?.reason });
  try {
    const conn = await openConn(target, options.tls, signal, failure);
    const transport = new ConnTransport(conn, options.io);
    const deflate = options.perMessageDeflate ?? true;
    let upgrade;
    try {
      upgrade = connectWebSocket(transport, {
        ...sessionSettings(options),
        scheduler: denoScheduler,
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
      const session = await upgrade.session;
      trackTransport(session, transport);
      return session;
    } catch (error) {
      await transport.released;
      if (signal.aborted) throw failure();
      throw handshakeFailure(href, error as Error, target.secure);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** TCP (and TLS, handshake done) to the target, or a {@link ConnectError}. */
async function openConn(
  target: WebSocketTarget,
  tls: ClientTlsOptions | undefined,
  signal: AbortSignal,
  failure: () => ConnectError,
): Promise<Deno.Conn> {
  if (signal.aborted) throw failure();
  const hostname = target.host.startsWith('[') ? target.host.slice(1, -1) : target.host;
  let opened: Promise<Deno.Conn> = target.secure
    ? Deno.connectTls({ hostname, port: target.port, alpnProtocols: ['http/1.1'], ...(tls?.caCerts !== undefined ? { caCerts: tls.caCerts } : {}) })
    : Deno.connect({ hostname, port: target.port });
  // Deno cannot cancel a connect in flight: on abort, close it when it lands.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, rejectAbort) => {
    onAbort = () => rejectAbort(failure());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  let conn: Deno.Conn;
  try {
    conn = await Promise.race([opened, aborted]);
  } catch (error) {
    if (error instanceof ConnectError) {
      opened.then((c) => c.close(), () => {});
      throw error;
    }
    throw new ConnectError('FW_ERR_CONNECTION_FAILED', `cannot connect to ${target.host}:${target.port}: ${(error as Error).message}`, { cause: error });
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
  if (target.secure) {
    // Certificate errors surface on the TLS handshake: report them as such.
    try {
      opened = Promise.race([(conn as Deno.TlsConn).handshake().then(() => conn), aborted]);
      await opened;
    } catch (error) {
      try {
        conn.close();
      } catch {
        // already closed
      }
      if (error instanceof ConnectError) throw error;
      throw new ConnectError('FW_ERR_TLS', `TLS handshake with ${target.host}:${target.port} failed: ${(error as Error).message}`, { cause: error });
    }
  }
  return conn;
}

function handshakeFailure(href: string, error: Error, secure: boolean): ConnectError {
  if ((error as { code?: unknown }).code === 'FW_ERR_HANDSHAKE_TIMEOUT') {
    return new ConnectError('FW_ERR_HANDSHAKE_TIMEOUT', error.message, { cause: error });
  }
  if (error instanceof HandshakeError && error.code === 'FW_ERR_HANDSHAKE_EOF') {
    return new ConnectError('FW_ERR_CONNECTION_CLOSED', `${href} closed the connection during the handshake`, { cause: error });
  }
  if (error instanceof HandshakeError && error.code === 'FW_ERR_HANDSHAKE_STATUS' && error.status !== undefined) {
    return new HandshakeStatusError(error.status, headerRecord(error.headers), error.body, `${href} answered ${error.status} instead of 101`);
  }
  if (secure && !(error instanceof HandshakeError)) {
    return new ConnectError('FW_ERR_TLS', `TLS failure with ${href}: ${error.message}`, { cause: error });
  }
  return new ConnectError('FW_ERR_HANDSHAKE_INVALID', `invalid handshake response from ${href}: ${error.message}`, { cause: error });
}
