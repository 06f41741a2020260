import type { Socket } from 'node:net';
import type { ClientHttp2Stream, ServerHttp2Stream } from 'node:http2';
import type { ServerCore, Session } from '@framewire/codec/adapter';
import { requestHeadFromHttp2 } from './http2-head.js';
import { ServerHttp2StreamTransport } from './http2-stream-transport.js';

/** The HTTP/2 stream under each session that runs over one (server and client). */
const streams = new WeakMap<Session, ServerHttp2Stream | ClientHttp2Stream>();

/**
 * The HTTP/2 stream carrying `session` (RFC 8441), or `undefined` for a
 * session over TCP or TLS. `http2StreamOf(ws)?.session` is the HTTP/2
 * connection: sessions that share it share one TCP connection.
 *
 * @example
 * ```ts
 * server.on('connection', (ws) => {
 *   if (ws.transportKind === 'http2') console.log('stream', http2StreamOf(ws)?.id);
 * });
 * ```
 */
export function http2StreamOf(session: Session): ServerHttp2Stream | ClientHttp2Stream | undefined {
  return streams.get(session);
}

/** Remember the stream under a client session. @internal */
export function rememberStream(session: Session, stream: ClientHttp2Stream): void {
  streams.set(session, stream);
}

/** What the server side needs from the adapter's `WebSocketServer` for one stream. */
export interface Http2ServeContext<Context> {
  readonly core: ServerCore<Context>;
  /** The accept hook's context for this stream. */
  context(stream: ServerHttp2Stream, socket: Socket): Context;
  /** Apply the `path` filter (standalone use of `handleStream`). */
  readonly filterPath: boolean;
  rejected(status: number, reason: string): void;
}

/**
 * Take one RFC 8441 extended CONNECT stream: translate its header block to
 * the HTTP/1.1 head the codec validates, then run the same upgrade as an
 * HTTP/1.1 request (limits, accept hook, subprotocols, permessage-deflate,
 * registry) over an {@link ServerHttp2StreamTransport}. Refusals get their
 * status as an HTTP/2 response; nothing here throws.
 */
export function serveHttp2Stream<Context>(stream: ServerHttp2Stream, rawHeaders: readonly string[], serve: Http2ServeContext<Context>): void {
  stream.on('error', () => {}); // a stream error ends this stream only
  const refuse = (status: number, reason: string): void => {
    if (!stream.destroyed && !stream.headersSent) {
      stream.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8' });
      stream.end(reason);
    }
    serve.rejected(status, reason);
  };
  if (stream.destroyed) return;
  if (serve.core.closing) {
    refuse(503, 'server closing');
    return;
  }
  const head = requestHeadFromHttp2(rawHeaders);
  if (!('kind' in head)) {
    refuse(head.status, head.reason);
    return;
  }
  const socket = stream.session?.socket as Socket | undefined;
  if (socket === undefined) {
    stream.destroy();
    return;
  }
  const transport = new ServerHttp2StreamTransport(stream);
  serve.core.upgrade(transport, serve.context(stream, socket), {
    parsedRequest: { head },
    filterPath: serve.filterPath,
    remote: socket.remoteAddress === undefined ? undefined : { address: socket.remoteAddress, port: socket.remotePort ?? 0 },
    onResult: (result) => {
      if (result.type === 'accepted') streams.set(result.session, stream);
    },
  });
}
