/**
 * Several servers on one port, routed by path: the part every adapter
 * shares. The adapter reads the request head once and asks
 * {@link chooseRoute} which server takes it.
 *
 * @module
 */

/** Something that may take an upgrade, judged by its path (an adapter's `WebSocketServer`). */
export interface PathRoute {
  /** Does this route take upgrades for `pathname`? */
  matches(pathname: string): boolean;
}

/** The path of a request-target (`/chat?x=1` → `/chat`), `undefined` when it is not origin- or absolute-form. */
export function pathOf(target: string | undefined): string | undefined {
  if (target === undefined) return undefined;
  let path = target;
  if (!target.startsWith('/')) {
    // absolute-form (RFC 9112 §3.2.2): scheme "://" authority [path]
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
    if (scheme === null) return undefined;
    path = target.slice(scheme[0].length);
    if (!path.startsWith('/')) return '/';
  }
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}

/** The first of `routes` that takes `target`'s path, `undefined` when none does (the caller answers 404, or 400 for a bad target). */
export function chooseRoute<Route extends PathRoute>(routes: readonly Route[], target: string): Route | undefined {
  const pathname = pathOf(target);
  if (pathname === undefined) return undefined;
  for (const route of routes) if (route.matches(pathname)) return route;
  return undefined;
}
