import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ConnectError, type AbortSignalLike } from '@framewire/codec/adapter';

/** Where and how {@link openSocket} connects. */
export interface OpenSocketOptions {
  host: string;
  port: number;
  /** Use TLS (wss://). */
  secure: boolean;
  /** TLS options (ca, cert, key, rejectUnauthorized, servername...). */
  tls?: TlsConnectionOptions | undefined;
  signal?: AbortSignalLike | undefined;
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
    const socket: Socket = secure
      ? tlsConnect({
          host,
          port,
          ...(servername !== undefined ? { servername } : {}),
          ALPNProtocols: ['http/1.1'],
          ...options.tls,
        })
      : netConnect({ host, port });
    const onAbort = (): void => {
      socket.destroy();
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
    if (secure) socket.once('connect', () => (connected = true));
    socket.on('error', onError);
    socket.once(secure ? 'secureConnect' : 'connect', onReady);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
