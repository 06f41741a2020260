import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ConnectError, ProxyTunnel, type AbortSignalLike, type ProxyTarget, type WebSocketTarget } from '@framewire/codec/adapter';

/** Where and how {@link openSocket} connects. */
export interface OpenSocketOptions {
  host: string;
  port: number;
  /** Use TLS (wss://). */
  secure: boolean;
  /** TLS options (ca, cert, key, rejectUnauthorized, servername...). */
  tls?: TlsConnectionOptions | undefined;
  signal?: AbortSignalLike | undefined;
  /** A connected socket (a proxy tunnel) to start TLS on instead of dialling `host`. */
  through?: Socket | undefined;
}

// Node's TLS verification and handshake failures, by error code.
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ECONNRESET_TLS',
]);

/** Is `error` a TLS handshake or certificate failure (by Node error code or message)? */
export function isTlsError(error: NodeJS.ErrnoException): boolean {
  const code = error.code ?? '';
  return TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || /certificate|SSL|TLS/i.test(error.message);
}

/**
 * Open a TCP (or TLS) connection and resolve once it is ready to carry the
 * opening handshake: after `connect`, or after `secureConnect` for TLS.
 * Failures become a {@link ConnectError} with a stable code.
 */
export function openSocket(options: OpenSocketOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const { host, port, secure, signal } = options;
    if (signal?.aborted === true) {
      reject(new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: signal.reason }));
      return;
    }
    let connected = false;
    // An IP literal is not a valid SNI name (RFC 6066 §3).
    const servername = /^[\d.]+$|:/.test(host) ? undefined : host;
    const through = options.through;
    const socket: Socket = secure
      ? tlsConnect({
          ...(through !== undefined ? { socket: through } : { host, port }),
          ...(servername !== undefined ? { servername } : {}),
          ALPNProtocols: ['http/1.1'],
          ...options.tls,
        })
      : (through ?? netConnect({ host, port }));
    if (!secure && through !== undefined) {
      resolve(through); // the tunnel is the connection
      return;
    }
    if (through !== undefined) connected = true; // TCP is up: every failure now is TLS's
    const onAbort = (): void => {
      socket.destroy();
      through?.destroy();
      fail(new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: signal?.reason }));
    };
    const cleanup = (): void => {
      socket.off('error', onError);
      socket.off(secure ? 'secureConnect' : 'connect', onReady);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: ConnectError): void => {
      cleanup();
      reject(error);
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      socket.destroy();
      through?.destroy();
      if (secure && (connected || isTlsError(error))) {
        fail(new ConnectError('FW_ERR_TLS', `TLS handshake with ${host}:${port} failed: ${error.message}`, { cause: error }));
      } else {
        fail(new ConnectError('FW_ERR_CONNECTION_FAILED', `cannot connect to ${host}:${port}: ${error.message}`, { cause: error }));
      }
    };
    const onReady = (): void => {
      cleanup();
      resolve(socket);
    };
    // For TLS, TCP is up once 'connect' fires; errors after it are TLS errors.
    if (secure && through === undefined) socket.once('connect', () => (connected = true));
    socket.on('error', onError);
    socket.once(secure ? 'secureConnect' : 'connect', onReady);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * TCP to `proxy`, then the CONNECT exchange of a {@link ProxyTunnel}; resolves
 * with the socket, paused, once the tunnel to `target` is open. A refusal is
 * `FW_ERR_PROXY`.
 */
export async function openTunnel(proxy: ProxyTarget, target: WebSocketTarget, signal: AbortSignalLike): Promise<Socket> {
  const socket = await openSocket({ host: proxy.host, port: proxy.port, secure: false, signal });
  const tunnel = new ProxyTunnel(proxy, target);
  return new Promise((resolve, reject) => {
    const done = (error?: ConnectError): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) return resolve(socket);
      socket.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      const result = tunnel.push(chunk);
      if (result.type === 'need-more') return;
      if (result.type === 'refused') return done(result.error);
      socket.pause(); // nothing may be read before the transport (or TLS) takes over
      done();
    };
    const onClose = (): void => done(tunnel.closed());
    const onAbort = (): void => done(new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: signal.reason }));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.write(tunnel.request());
  });
}
