import type { Socket, TLSOptions } from 'bun';
import { ConnectError, type AbortSignalLike } from '@framewire/codec/adapter';
import { BunSocketTransport, socketHandlers, type SocketData } from './socket-transport.js';

/** Where and how {@link openSocket} connects. */
export interface OpenSocketOptions {
  host: string;
  port: number;
  /** Use TLS (wss://). */
  secure: boolean;
  /** TLS options (`ca`, `cert`, `key`, `rejectUnauthorized`, `servername`...). */
  tls?: TLSOptions | undefined;
  signal?: AbortSignalLike | undefined;
}

/**
 * Open a TCP (or TLS) connection with `Bun.connect` and resolve with its
 * transport once it can carry the opening handshake: on `open`, or for TLS
 * once Bun's `handshake` callback reports a verified peer (Bun opens a TLS
 * socket before its handshake is done and closes it quietly when the
 * certificate is refused, so the handshake callback is where a TLS failure
 * is seen). Failures become a {@link ConnectError} with a stable code.
 */
export function openSocket(options: OpenSocketOptions): Promise<BunSocketTransport> {
  const { host, port, secure, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: signal.reason }));
      return;
    }
    let state: 'connecting' | 'ready' | 'failed' = 'connecting';
    let transport: BunSocketTransport | undefined;
    let tlsError: Error | undefined;
    const fail = (error: ConnectError): void => {
      if (state !== 'connecting') return;
      state = 'failed';
      signal?.removeEventListener('abort', onAbort);
      transport?.destroy();
      reject(error);
    };
    const ready = (): void => {
      if (state !== 'connecting') return;
      state = 'ready';
      signal?.removeEventListener('abort', onAbort);
      resolve(transport!);
    };
    const onAbort = (): void => fail(new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    const connected = Bun.connect<SocketData>({
      hostname: host,
      port,
      allowHalfOpen: true,
      // Never an empty object: Bun 1.4 treats `tls: {}` as plain TCP (no TLS at all).
      ...(secure ? { tls: { rejectUnauthorized: true, ...options.tls } } : {}),
      socket: {
        ...socketHandlers,
        open: (socket: Socket<SocketData>) => {
          transport = new BunSocketTransport(socket);
          if (state === 'failed') transport.destroy(); // aborted while connecting
          else if (!secure) ready();
        },
        handshake: (_socket, success, authorizationError) => {
          if (success) ready();
          else {
            tlsError = authorizationError ?? new Error('TLS handshake failed');
            fail(new ConnectError('FW_ERR_TLS', `TLS handshake with ${host}:${port} failed: ${tlsError.message}`, { cause: tlsError }));
          }
        },
        connectError: (_socket, error) => {
          fail(new ConnectError('FW_ERR_CONNECTION_FAILED', `cannot connect to ${host}:${port}: ${error.message}`, { cause: error }));
        },
        close: (socket, error) => {
          if (state === 'connecting') {
            const why = error ?? tlsError;
            fail(
              secure
                ? new ConnectError('FW_ERR_TLS', `TLS handshake with ${host}:${port} failed${why !== undefined ? `: ${why.message}` : ''}`, { cause: why })
                : new ConnectError('FW_ERR_CONNECTION_FAILED', `${host}:${port} closed the connection`, { cause: why }),
            );
          }
          socketHandlers.close(socket, error);
        },
      },
    });
    // connectError above reports failures; this only keeps the promise handled.
    connected.catch((error: unknown) => {
      fail(new ConnectError('FW_ERR_CONNECTION_FAILED', `cannot connect to ${host}:${port}: ${(error as Error).message}`, { cause: error }));
    });
  });
}
