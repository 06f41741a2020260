import {
  Http2ServerRequest,
  type Http2SecureServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Duplex } from 'node:stream';
import { pathOf } from './upgrade-router.js';

/** An HTTP/2 server, cleartext (h2c) or TLS, that can carry RFC 8441 streams. */
export type AnyHttp2Server = Http2Server | Http2SecureServer;

/** One framewire server attached to an HTTP/2 server. */
export interface StreamRoute {
  /** Does this route take extended CONNECT streams for `pathname`? */
  matches(pathname: string): boolean;
  /** Take the stream (the flattened raw header list of the 'stream' event). */
  handleStream(stream: ServerHttp2Stream, rawHeaders: readonly string[]): void;
}

/** Is `server` an HTTP/2 server (rather than an http/https one)? */
export function isHttp2Server(server: object): server is AnyHttp2Server {
  // Only Node's HTTP/2 servers have updateSettings(); http(s) servers do not.
  return typeof (server as { updateSettings?: unknown }).updateSettings === 'function';
}

/**
 * Routes the CONNECT streams of one HTTP/2 server to the framewire servers
 * attached to it, first matching path wins, in the order they attached.
 * Every other stream (GET, POST…) is left to the application. An extended
 * CONNECT for a path nobody takes gets `:status 404`. Node's compatibility
 * layer would answer every CONNECT with 405 when nobody listens to
 * 'connect'; the router listens, and leaves HTTP/2 CONNECTs to its 'stream'
 * listener.
 */
class StreamRouter {
  readonly routes: StreamRoute[] = [];
  readonly #onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]): void =>
    this.#route(stream, headers, rawHeaders);
  readonly #onConnect = (request: unknown, socket: unknown): void => this.#connect(request, socket);

  constructor(private readonly server: AnyHttp2Server) {
    server.on('stream', this.#onStream);
    server.on('connect', this.#onConnect);
  }

  add(route: StreamRoute): void {
    this.routes.push(route);
  }

  /** Remove `route`; returns `true` when no route is left (the router is detached). */
  remove(route: StreamRoute): boolean {
    const i = this.routes.indexOf(route);
    if (i >= 0) this.routes.splice(i, 1);
    if (this.routes.length > 0) return false;
    this.server.off('stream', this.#onStream);
    this.server.off('connect', this.#onConnect);
    return true;
  }

  #route(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: readonly string[]): void {
    if (headers[':method'] !== 'CONNECT') return;
    const pathname = pathOf(typeof headers[':path'] === 'string' ? headers[':path'] : undefined);
    // A bad or missing :path or :protocol: the first route refuses it with the documented status.
    const route = pathname === undefined ? this.routes[0] : this.routes.find((r) => r.matches(pathname));
    if (route !== undefined) {
      route.handleStream(stream, rawHeaders);
      return;
    }
    stream.on('error', () => {});
    if (!stream.destroyed && !stream.headersSent) stream.respond({ ':status': 404, 'content-type': 'text/plain; charset=utf-8' });
    stream.end('no WebSocket server for this path');
  }

  #connect(request: unknown, socket: unknown): void {
    // HTTP/2 CONNECT (compat layer): the 'stream' listener has it.
    if (request instanceof Http2ServerRequest) return;
    // An HTTP/1.1 CONNECT on an allowHTTP1 server: ours only when nobody else listens.
    if (this.server.listenerCount('connect') > 1) return;
    const duplex = socket as Duplex;
    duplex.on('error', () => {});
    duplex.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  }
}

const routers = new WeakMap<AnyHttp2Server, StreamRouter>();

/** Attach `route` to `server`'s shared stream router. Returns the detach function. */
export function attachStreamRoute(server: AnyHttp2Server, route: StreamRoute): () => void {
  let router = routers.get(server);
  if (router === undefined) {
    router = new StreamRouter(server);
    routers.set(server, router);
  }
  router.add(route);
  const attached = router;
  return () => {
    if (attached.remove(route)) routers.delete(server);
  };
}
