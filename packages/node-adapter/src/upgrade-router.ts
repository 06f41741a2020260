import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { pathOf } from '@framewire/codec/adapter';

export { pathOf };

/** One framewire server attached to an http(s) server. */
export interface UpgradeRoute {
  /** Does this route take requests for `pathname`? */
  matches(pathname: string): boolean;
  /** Take the upgrade. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Answer a request no route took (first route wins). */
  rejectUnmatched(socket: Duplex, status: number): void;
}

type AnyHttpServer = HttpServer | HttpsServer;

/**
 * Several framewire servers may share one http(s) server, each with its own
 * paths. One 'upgrade' listener per http server routes each request to the
 * first route whose path matches; a request no route takes gets 404 at once
 * (never a hang), unless the application added 'upgrade' listeners of its
 * own, which then decide.
 */
class UpgradeRouter {
  readonly routes: UpgradeRoute[] = [];
  readonly #listener = (request: IncomingMessage, socket: Duplex, head: Buffer): void => this.#route(request, socket, head);

  constructor(private readonly server: AnyHttpServer) {
    server.on('upgrade', this.#listener);
  }

  add(route: UpgradeRoute): void {
    this.routes.push(route);
  }

  /** Remove `route`; returns `true` when no route is left (the router is detached). */
  remove(route: UpgradeRoute): boolean {
    const i = this.routes.indexOf(route);
    if (i >= 0) this.routes.splice(i, 1);
    if (this.routes.length > 0) return false;
    this.server.off('upgrade', this.#listener);
    return true;
  }

  #route(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const pathname = pathOf(request.url);
    for (const route of this.routes) {
      if (pathname !== undefined && route.matches(pathname)) {
        route.handleUpgrade(request, socket, head);
        return;
      }
    }
    // Someone else listens for upgrades on this server: their call.
    if (this.server.listenerCount('upgrade') > 1) return;
    this.routes[0]?.rejectUnmatched(socket, pathname === undefined ? 400 : 404);
  }
}

const routers = new WeakMap<AnyHttpServer, UpgradeRouter>();

/** Attach `route` to `server`'s shared upgrade router. Returns the detach function. */
export function attachRoute(server: AnyHttpServer, route: UpgradeRoute): () => void {
  let router = routers.get(server);
  if (router === undefined) {
    router = new UpgradeRouter(server);
    routers.set(server, router);
  }
  router.add(route);
  const attached = router;
  return () => {
    if (attached.remove(route)) routers.delete(server);
  };
}
