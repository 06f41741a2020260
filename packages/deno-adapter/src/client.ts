import { ConnectError, connectTransport, type AbortSignalLike, type ClientOfferOptions, type Session, type WebSocketTarget } from '@framewire/codec/adapter';
import { ConnTransport, trackTransport } from './conn-transport.js';
import { denoRuntime, type ConnectionLimits } from './deno-runtime.js';

/** TLS settings of {@link connect} for wss://. */
export interface ClientTlsOptions {
  /** Extra trusted CA certificates, PEM (e.g. a self-signed server certificate). */
  caCerts?: string[];
}

/** Options of {@link connect}: the codec's shared client options plus Deno's TLS and I/O options. */
export interface ConnectOptions extends ClientOfferOptions, ConnectionLimits {
  /** TLS options for wss://. */
  tls?: ClientTlsOptions;
  /** Abort the attempt (before the connection is open). */
  signal?: AbortSignal;
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
export function connect(url: string | URL, options: ConnectOptions = {}): Promise<Session> {
  return connectTransport(url, options, {
    runtime: denoRuntime,
    open: async (target, signal) => new ConnTransport(await openConn(target, options.tls, signal), options.io),
    opened: (session, transport) => trackTransport(session, transport),
    failed: (transport) => transport.released,
  });
}

/** TCP (and TLS, handshake done) to the target, or a {@link ConnectError}. */
async function openConn(target: WebSocketTarget, tls: ClientTlsOptions | undefined, signal: AbortSignalLike): Promise<Deno.Conn> {
  const failure = (): ConnectError => new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: signal.reason });
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
