import type { ClientHttp2Session } from 'node:http2';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { AbortSignalLike, Session } from '@framewire/codec/adapter';
import { ClientHttp2Transport } from './http2-client-transport.js';
import { acquireHttp2Session, awaitConnectProtocol, requireConnectProtocol } from './http2-pool.js';
import { rememberStream } from './http2-serve.js';

/** A client transport that records its stream under the session once the handshake succeeded. */
class TrackedHttp2Transport extends ClientHttp2Transport {
  opened(session: Session): void {
    if (this.stream !== undefined) rememberStream(session, this.stream);
  }
}

/**
 * The `open` step of `connect(url, { http2 })`: a pooled HTTP/2 session to
 * the URL's origin (or the caller's `session`) that allows extended CONNECT,
 * and a transport that opens the WebSocket stream on it.
 */
export async function openHttp2Transport(
  target: { readonly host: string; readonly port: number; readonly secure: boolean },
  tls: TlsConnectionOptions | undefined,
  session: ClientHttp2Session | undefined,
  signal: AbortSignalLike,
): Promise<TrackedHttp2Transport> {
  const scheme = target.secure ? 'https' : 'http';
  if (session !== undefined) {
    await awaitConnectProtocol(session, signal);
    return new TrackedHttp2Transport(session, scheme, () => {});
  }
  const pooled = await acquireHttp2Session(target, tls, signal);
  try {
    requireConnectProtocol(pooled.session);
  } catch (error) {
    pooled.release();
    throw error;
  }
  return new TrackedHttp2Transport(pooled.session, scheme, pooled.release);
}
