/**
 * Who may connect: `--origin` allow-list (403), `--token` (401), and
 * `--max-forks` (503), decided before the upgrade is answered.
 *
 * @module
 */
import { accept, bearerToken, originAllowed, reject, type AcceptDecision, type UpgradeRequest } from '@framewire/codec/adapter';
import { timingSafeEqual } from 'node:crypto';

/** Access rules of a server command. */
export interface AccessRules {
  /** Allowed origins: full (`https://app.example`) or websocketd-style `host[:port]`. Empty: any origin. */
  readonly origins: readonly string[];
  /** The shared secret a client must present as `Authorization: Bearer T` or `?token=T`. */
  readonly token?: string | undefined;
}

/**
 * Does `origin` match one of `allowed`? A full origin matches exactly (case
 * aside); `host` matches that host on any port and scheme, `host:port` that
 * host and port (websocketd's `--origin` form). An absent Origin (not a
 * browser) is let through, as websocketd does.
 */
export function originMatches(origin: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.length === 0 || origin === undefined) return true;
  if (originAllowed({ origin }, allowed.filter((entry) => entry.includes('://')))) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const defaultPort = url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '';
  const port = url.port === '' ? defaultPort : url.port;
  return allowed.some((entry) => {
    if (entry.includes('://')) return false;
    const [host, entryPort] = splitHostPort(entry.toLowerCase());
    return host === url.hostname.toLowerCase() && (entryPort === undefined || entryPort === port);
  });
}

function splitHostPort(entry: string): [string, string | undefined] {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracket !== null) return [`[${bracket[1]}]`, bracket[2]];
  const colon = entry.lastIndexOf(':');
  return colon === -1 ? [entry, undefined] : [entry.slice(0, colon), entry.slice(colon + 1)];
}

/** Compare secrets in constant time (the length still shows; the token is not a password hash). */
export function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An accept decision for the origin and token rules; `undefined` when both pass. */
export async function checkAccess(request: UpgradeRequest, rules: AccessRules): Promise<AcceptDecision | undefined> {
  if (!originMatches(request.origin, rules.origins)) return reject(403, { body: 'origin not allowed\n' });
  const token = rules.token;
  if (token !== undefined) {
    const decision = await bearerToken((given) => sameSecret(given, token), { queryParam: 'token' })(request);
    if (decision.type === 'reject') return decision;
  }
  return undefined;
}

/** 503 when `running` programs already reach `maxForks` (0: no limit). */
export function forkLimit(running: number, maxForks: number): AcceptDecision | undefined {
  return maxForks > 0 && running >= maxForks ? reject(503, { headers: { 'Retry-After': '1' }, body: 'too many connections\n' }) : undefined;
}

export { accept };
