import { Buffer } from 'node:buffer';
import { connect as http2Connect, type ClientHttp2Session, type SecureClientSessionOptions } from 'node:http2';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ConnectError, type AbortSignalLike } from '@framewire/codec/adapter';
import { isTlsError } from './open-socket.js';

/** Where {@link acquireHttp2Session} connects. */
export interface Http2Origin {
  readonly host: string;
  readonly port: number;
  /** `https` (TLS with ALPN h2) or `http` (cleartext h2c, prior knowledge). */
  readonly secure: boolean;
}

interface PoolEntry {
  readonly session: ClientHttp2Session;
  readonly ready: Promise<void>;
  /** WebSocket streams (and attempts) using the session. */
  refs: number;
}

/**
 * One HTTP/2 connection per origin (and TLS options object), shared by every
 * `connect(url, { http2: true })` to it and closed when its last WebSocket
 * ends; many WebSockets then share one TCP (and TLS) connection.
 */
const pool = new Map<string, PoolEntry>();
const functionIds = new WeakMap<object, number>();
let nextFunctionId = 1;

/** The pool key: the origin and the TLS options by value (certificates by content, callbacks by identity). */
function keyOf(origin: Http2Origin, tls: TlsConnectionOptions | undefined): string {
  const options = tls === undefined ? '' : JSON.stringify(tls, (_name, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    if (typeof value === 'function') {
      let id = functionIds.get(value);
      if (id === undefined) functionIds.set(value, (id = nextFunctionId++));
      return `function#${id}`;
    }
    return value;
  });
  return `${origin.secure ? 'https' : 'http'}://${origin.host}:${origin.port} ${options}`;
}

/** An error of the connection phase as a {@link ConnectError} (TLS or connection failure). */
function connectFailure(origin: Http2Origin, error: NodeJS.ErrnoException): ConnectError {
  if (origin.secure && isTlsError(error)) {
    return new ConnectError('FW_ERR_TLS', `TLS handshake with ${origin.host}:${origin.port} failed: ${error.message}`, { cause: error });
  }
  return new ConnectError('FW_ERR_CONNECTION_FAILED', `cannot open HTTP/2 to ${origin.host}:${origin.port}: ${error.message}`, { cause: error });
}

function open(origin: Http2Origin, tls: TlsConnectionOptions | undefined, key: string): PoolEntry {
  const host = origin.host.includes(':') ? `[${origin.host}]` : origin.host;
  // An IP literal is not a valid SNI name (RFC 6066 §3).
  const servername = /^[\d.]+$|:/.test(origin.host) ? undefined : origin.host;
  const options: SecureClientSessionOptions = { ...(servername !== undefined ? { servername } : {}), ...tls };
  const session = http2Connect(`${origin.secure ? 'https' : 'http'}://${host}:${origin.port}`, options);
  const forget = (): void => {
    if (pool.get(key)?.session === session) pool.delete(key);
  };
  session.on('error', forget); // reaches each stream as an EOF (1006); never unhandled
  session.on('close', forget);
  session.on('goaway', forget); // no new streams on it
  const ready = new Promise<void>((resolve, reject) => {
    const onSettings = (): void => {
      session.off('error', onError);
      resolve();
    };
    const onError = (error: Error): void => {
      session.off('remoteSettings', onSettings);
      reject(connectFailure(origin, error));
    };
    session.once('remoteSettings', onSettings);
    session.once('error', onError);
  });
  ready.catch(() => {});
  return { session, ready, refs: 0 };
}

/**
 * A ready HTTP/2 session to `origin` (the server's first SETTINGS received),
 * from the pool or new. Call the returned `release` once the WebSocket over
 * it ended (or its attempt failed).
 */
export async function acquireHttp2Session(
  origin: Http2Origin,
  tls: TlsConnectionOptions | undefined,
  signal: AbortSignalLike,
): Promise<{ session: ClientHttp2Session; release: () => void }> {
  const key = keyOf(origin, tls);
  let entry = pool.get(key);
  if (entry === undefined || entry.session.closed || entry.session.destroyed) {
    entry = open(origin, tls, key);
    pool.set(key, entry);
  }
  const held = entry;
  held.refs++;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    if (--held.refs === 0) {
      if (pool.get(key) === held) pool.delete(key);
      held.session.close();
    }
  };
  try {
    await abortable(held.ready, signal);
  } catch (error) {
    release();
    throw error;
  }
  return { session: held.session, release };
}

/** `promise`, or a `FW_ERR_ABORTED` rejection once `signal` fires. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignalLike): Promise<T> {
  if (signal.aborted) return Promise.reject(new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Wait until `session`'s peer allowed extended CONNECT (RFC 8441 §3:
 * SETTINGS_ENABLE_CONNECT_PROTOCOL = 1). A server that says no (or a
 * session that ends first) fails with a clear {@link ConnectError}; there is
 * no fallback to HTTP/1.1.
 */
export async function awaitConnectProtocol(session: ClientHttp2Session, signal: AbortSignalLike): Promise<void> {
  if (session.remoteSettings.enableConnectProtocol === true) return;
  if (session.closed || session.destroyed) {
    throw new ConnectError('FW_ERR_CONNECTION_CLOSED', 'the HTTP/2 session is closed');
  }
  // Settings may still be on their way (a session passed in right after http2.connect()).
  await abortable(
    new Promise<void>((resolve, reject) => {
      const done = (): void => {
        session.off('remoteSettings', done);
        session.off('close', done);
        if (session.remoteSettings.enableConnectProtocol === true) resolve();
        else reject(notAdvertised());
      };
      session.on('remoteSettings', done);
      session.on('close', done);
    }),
    signal,
  );
}

function notAdvertised(): ConnectError {
  return new ConnectError(
    'FW_ERR_HANDSHAKE_INVALID',
    'the HTTP/2 server does not allow WebSockets: no SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)',
  );
}

/** Fail at once when the first SETTINGS arrived without extended CONNECT. @internal */
export function requireConnectProtocol(session: ClientHttp2Session): void {
  if (session.remoteSettings.enableConnectProtocol !== true) throw notAdvertised();
}
