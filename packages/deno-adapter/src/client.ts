import { ConnectError, ProxyTunnel, connectTransport, type AbortSignalLike, type ProxyTarget, type ClientOfferOptions, type Session, type WebSocketTarget } from '@framewire/codec/adapter';
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
    open: async (target, signal, proxy) => new ConnTransport(await openConn(target, options.tls, signal, proxy), options.io),
    proxyEnvironment: proxyEnvironment,
    opened: (session, transport) => trackTransport(session, transport),
    failed: (transport) => transport.released,
  });
}

/** TCP (and TLS, handshake done) to the target, or a {@link ConnectError}. */
async function openConn(target: WebSocketTarget, tls: ClientTlsOptions | undefined, signal: AbortSignalLike, proxy?: ProxyTarget): Promise<Deno.Conn> {
  const failure = (): ConnectError => new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: signal.reason });
  if (signal.aborted) throw failure();
  const hostname = target.host.startsWith('[') ? target.host.slice(1, -1) : target.host;
  const caCerts = tls?.caCerts !== undefined ? { caCerts: tls.caCerts } : {};
  let opened: Promise<Deno.Conn> =
    proxy !== undefined
      ? openTunnel(proxy, target).then((tunnel): Promise<Deno.Conn> | Deno.Conn =>
          target.secure ? Deno.startTls(tunnel, { hostname, alpnProtocols: ['http/1.1'], ...caCerts }) : tunnel,
        )
      : target.secure
        ? Deno.connectTls({ hostname, port: target.port, alpnProtocols: ['http/1.1'], ...caCerts })
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

/** TCP to the proxy and the CONNECT exchange; resolves with the open tunnel. */
async function openTunnel(proxy: ProxyTarget, target: WebSocketTarget): Promise<Deno.TcpConn> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: proxy.host, port: proxy.port });
  } catch (error) {
    throw new ConnectError('FW_ERR_CONNECTION_FAILED', `cannot connect to the proxy ${proxy.label}: ${(error as Error).message}`, { cause: error });
  }
  const tunnel = new ProxyTunnel(proxy, target);
  try {
    const request = tunnel.request();
    for (let sent = 0; sent < request.length; ) sent += await conn.write(request.subarray(sent));
    // Small reads: nothing past the proxy's answer may be consumed (the destination's bytes follow it).
    const buffer = new Uint8Array(1024);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) throw tunnel.closed();
      const result = tunnel.push(buffer.subarray(0, n));
      if (result.type === 'open') return conn;
      if (result.type === 'refused') throw result.error;
    }
  } catch (error) {
    try {
      conn.close();
    } catch {
      // already closed
    }
    if (error instanceof ConnectError) throw error;
    throw new ConnectError('FW_ERR_PROXY', `the proxy ${proxy.label} failed during CONNECT: ${(error as Error).message}`, { cause: error });
  }
}

/** The proxy variables, read only for `proxy: { fromEnv: true }` (needs --allow-env for them). */
function proxyEnvironment(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) env[name] = Deno.env.get(name);
  return env;
}
