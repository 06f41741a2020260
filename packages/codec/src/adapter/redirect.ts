/**
 * Following a server's 3xx answer to the opening handshake (`followRedirects`
 * in `connect()`): which statuses count, where the `Location` points, and
 * which headers may go along. Resolution is RFC 3986 §5.2 by hand because the
 * codec uses no runtime `URL` (ARCHITECTURE.md: ECMAScript built-ins only).
 *
 * @module
 */
import type { WebSocketTarget } from '../protocol/handshake-client.js';
import { headerEntries, type HeaderInit } from '../protocol/header-tokens.js';

/** The statuses `connect()` follows (RFC 9110 §15.4); 300 and 304 are not redirects to a resource. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Default `maxRedirects`, as in `ws`. */
export const DEFAULT_MAX_REDIRECTS = 10;

/** Headers that carry credentials: dropped when a redirect leaves the origin (as browsers and `ws` do). */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** The href of a target, `ws://` or `wss://`, default port left out. */
export function targetHref(target: WebSocketTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const port = target.port === (target.secure ? 443 : 80) ? '' : `:${target.port}`;
  return `${target.secure ? 'wss' : 'ws'}://${host}${port}${target.resource}`;
}

/** Same scheme, host and port (RFC 6454 origin). */
export function sameOrigin(a: WebSocketTarget, b: WebSocketTarget): boolean {
  return a.secure === b.secure && a.host === b.host && a.port === b.port;
}

/**
 * `location` resolved against `base` (RFC 3986 §5.2.2), fragment dropped.
 * The result is an absolute URL string for `parseWebSocketUrl`, which maps
 * http(s) to ws(s) and refuses any other scheme.
 */
export function resolveLocation(base: WebSocketTarget, location: string): string {
  const reference = location.trim().replace(/#.*$/s, '');
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(reference)) return reference; // absolute (scheme: …)
  const baseHref = targetHref(base);
  const scheme = base.secure ? 'wss:' : 'ws:';
  if (reference.startsWith('//')) return scheme + reference;
  const authorityEnd = baseHref.indexOf('/', scheme.length + 2);
  const origin = baseHref.slice(0, authorityEnd);
  const queryAt = base.resource.indexOf('?');
  const basePath = queryAt === -1 ? base.resource : base.resource.slice(0, queryAt);
  if (reference === '') return origin + base.resource;
  if (reference.startsWith('?')) return origin + basePath + reference;
  const [refPath, refQuery] = splitQuery(reference);
  const merged = refPath.startsWith('/') ? refPath : basePath.slice(0, basePath.lastIndexOf('/') + 1) + refPath;
  return origin + removeDotSegments(merged) + refQuery;
}

function splitQuery(reference: string): [string, string] {
  const at = reference.indexOf('?');
  return at === -1 ? [reference, ''] : [reference.slice(0, at), reference.slice(at)];
}

/** RFC 3986 §5.2.4, on an absolute path. */
export function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..' && out.length > 1) out.pop();
      if (last) out.push(''); // "/a/b/.." ends in a slash
      continue;
    }
    out.push(segment);
  }
  const joined = out.join('/');
  return joined.startsWith('/') ? joined : '/' + joined;
}

/**
 * The request headers for the next hop: all of them within one origin,
 * without credentials (`Authorization`, `Cookie`) once the redirect leaves it.
 */
export function headersForRedirect(headers: HeaderInit | undefined, from: WebSocketTarget, to: WebSocketTarget): HeaderInit | undefined {
  if (headers === undefined || sameOrigin(from, to)) return headers;
  return headerEntries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()));
}
