import type { Socket, TLSOptions } from 'bun';
import { ConnectError, ProxyTunnel, type AbortSignalLike, type ProxyTarget, type WebSocketTarget } from '@framewire/codec/adapter';
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

/**
 * TCP to `proxy` and the CONNECT exchange of a {@link ProxyTunnel}; resolves
 * with the transport once the tunnel to `target` is open (the upgrade then
 * attaches its own sink). A refusal is `FW_ERR_PROXY`.
 */
export async function openTunnel(proxy: ProxyTarget, target: WebSocketTarget, signal: AbortSignalLike): Promise<BunSocketTransport> {
  const transport = await openSocket({ host: proxy.host, port: proxy.port, secure: false, signal });
  const tunnel = new ProxyTunnel(proxy, target);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error?: ConnectError): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) return resolve(transport);
      transport.destroy();
      reject(error);
    };
    const onAbort = (): void => settle(new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    transport.attach({
      receive: (chunk) => {
        if (settled) return;
        const result = tunnel.push(chunk);
        if (result.type === 'open') settle();
        else if (result.type === 'refused') settle(result.error);
      },
      receiveEof: () => settle(tunnel.closed()),
      drain: () => {},
    });
    transport.write([tunnel.request()]);
  });
}

/**
 * TLS inside an open tunnel with `socket.upgradeTLS`; resolves with the TLS
 * socket's transport once Bun reports a verified handshake.
 */
export function startTls(tunnel: BunSocketTransport, host: string, tls: TLSOptions | undefined, signal: AbortSignalLike): Promise<BunSocketTransport> {
  return new Promise((resolve, reject) => {
    let state: 'connecting' | 'ready' | 'failed' = 'connecting';
    let transport: BunSocketTransport | undefined;
    const fail = (error: ConnectError): void => {
      if (state !== 'connecting') return;
      state = 'failed';
      signal.removeEventListener('abort', onAbort);
      transport?.destroy();
      tunnel.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    const raw = tunnel.socket;
    raw.data = undefined; // the tunnel's transport no longer owns the raw socket's events
    // An IP literal is not a valid SNI name (RFC 6066 §3).
    const serverName = /^[\d.]+$|:/.test(host) ? {} : { serverName: host };
    raw.upgradeTLS<SocketData>({
      data: undefined,
      tls: { rejectUnauthorized: true, ...serverName, ...tls },
      socket: {
        ...socketHandlers,
        handshake: (socket, success, authorizationError) => {
          if (!success) {
            const why = authorizationError ?? new Error('TLS handshake failed');
            fail(new ConnectError('FW_ERR_TLS', `TLS handshake with ${host} (through the proxy) failed: ${why.message}`, { cause: why }));
            return;
          }
          if (state !== 'connecting') return;
          state = 'ready';
          signal.removeEventListener('abort', onAbort);
          transport ??= new BunSocketTransport(socket);
          resolve(transport);
        },
        close: (socket, error) => {
          fail(new ConnectError('FW_ERR_TLS', `TLS handshake with ${host} (through the proxy) failed${error ? `: ${error.message}` : ''}`, { cause: error }));
          socketHandlers.close(socket, error);
        },
      },
    });
  });
}
