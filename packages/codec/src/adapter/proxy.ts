/**
 * `connect()` through an HTTP proxy: the CONNECT tunnel of RFC 9110 §9.3.6.
 * The adapter opens TCP to the proxy and moves bytes; this module decides
 * which proxy (an explicit URL, or the environment's `HTTPS_PROXY`,
 * `HTTP_PROXY` and `NO_PROXY` when asked), writes the CONNECT request and
 * reads the proxy's answer. TLS for wss:// starts inside the tunnel, so the
 * proxy sees only the host and port.
 *
 * @module
 */
import { toBase64 } from '../protocol/base64.js';
import type { WebSocketTarget } from '../protocol/handshake-client.js';
import { HeadParser, type ResponseHead } from '../protocol/http-head.js';
import { ConnectError } from '../session/connect-errors.js';

/** A proxy to tunnel through: where it is and the `Proxy-Authorization` to send. */
export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
  /** `Basic …` from the URL's user info, when it had one. */
  readonly authorization?: string | undefined;
  /** The proxy URL without its password, for messages. */
  readonly label: string;
}

/** The environment variables {@link proxyFor} reads (either case, as curl does). */
export type ProxyEnvironment = Readonly<Record<string, string | undefined>>;

/** Where the proxy for a connection comes from: {@link ClientOfferOptions}' `proxy`. */
export type ProxySetting = string | false | { readonly fromEnv: true } | undefined;

/**
 * Parse `http://[user[:password]@]host[:port]` (port 80 by default; percent-
 * escapes in the user info are decoded). Only http:// proxies: TLS to the
 * proxy itself is not supported.
 */
export function parseProxyUrl(url: string): ProxyTarget {
  const bad = (why: string): ConnectError => new ConnectError('FW_ERR_INVALID_URL', `invalid proxy URL: ${why}`);
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?(\[[0-9A-Fa-f:.]+\]|[^:/?#@]+)(?::(\d{1,5}))?\/?$/.exec(url.trim());
  if (match === null) throw bad('expected http://[user:password@]host[:port]');
  if (match[1]!.toLowerCase() !== 'http') throw bad(`the ${match[1]} scheme is not supported (http:// proxies only)`);
  const host = match[3]!.startsWith('[') ? match[3]!.slice(1, -1) : match[3]!.toLowerCase();
  const port = match[4] === undefined ? 80 : Number(match[4]);
  if (port < 1 || port > 65535) throw bad('invalid port');
  const hostText = host.includes(':') ? `[${host}]` : host;
  let authorization: string | undefined;
  if (match[2] !== undefined) {
    let userInfo: string;
    try {
      userInfo = decodeURIComponent(match[2]);
    } catch {
      throw bad('malformed percent-escape in the user info');
    }
    authorization = `Basic ${toBase64(new TextEncoder().encode(userInfo))}`;
  }
  const user = match[2] === undefined ? '' : `${match[2].split(':')[0]}:***@`;
  return { host, port, authorization, label: `http://${user}${hostText}:${port}` };
}

/**
 * The proxy for `target`, or undefined to connect directly. An explicit URL
 * wins; `{ fromEnv: true }` reads `HTTPS_PROXY` (wss://) or `HTTP_PROXY`
 * (ws://), lower-case names too, and skips hosts that `NO_PROXY` lists
 * (`*`, exact names, `.suffix` or `suffix` domain matches, optional `:port`).
 */
export function proxyFor(target: WebSocketTarget, setting: ProxySetting, env: ProxyEnvironment = {}): ProxyTarget | undefined {
  if (setting === undefined || setting === false) return undefined;
  if (typeof setting === 'string') return parseProxyUrl(setting);
  const read = (name: string): string | undefined => {
    const value = env[name.toLowerCase()] ?? env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const url = target.secure ? read('HTTPS_PROXY') : read('HTTP_PROXY');
  if (url === undefined || bypassed(target, read('NO_PROXY'))) return undefined;
  return parseProxyUrl(url);
}

/** Does `NO_PROXY` exclude the target? */
function bypassed(target: WebSocketTarget, noProxy: string | undefined): boolean {
  if (noProxy === undefined) return false;
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const portAt = /:(\d+)$/.exec(entry);
    if (portAt !== null && Number(portAt[1]) !== target.port) continue;
    let name = portAt === null ? entry : entry.slice(0, portAt.index);
    name = name.replace(/^\[|\]$/g, '').replace(/^\*?\./, '');
    if (target.host === name || target.host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** What {@link ProxyTunnel.push} found. */
export type TunnelResult =
  | { readonly type: 'need-more' }
  /** The tunnel is open: the next bytes are the destination's. */
  | { readonly type: 'open' }
  | { readonly type: 'refused'; readonly error: ConnectError };

/**
 * One CONNECT exchange: {@link request} is written to the proxy, then every
 * chunk it answers goes to {@link push} until the tunnel opens or is refused.
 */
export class ProxyTunnel {
  readonly #parser = new HeadParser<ResponseHead>('response');

  constructor(
    readonly proxy: ProxyTarget,
    readonly target: WebSocketTarget,
  ) {}

  /** The CONNECT request (authority form, RFC 9112 §3.2.3). */
  request(): Uint8Array {
    const host = this.target.host.includes(':') ? `[${this.target.host}]` : this.target.host;
    const authority = `${host}:${this.target.port}`;
    let head = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
    if (this.proxy.authorization !== undefined) head += `Proxy-Authorization: ${this.proxy.authorization}\r\n`;
    return new TextEncoder().encode(`${head}\r\n`);
  }

  /** Feed the proxy's bytes. */
  push(chunk: Uint8Array): TunnelResult {
    const parsed = this.#parser.push(chunk);
    const where = `proxy ${this.proxy.label}`;
    const connectTo = `${this.target.host}:${this.target.port}`;
    if (parsed.type === 'need-more') return parsed;
    if (parsed.type === 'error') {
      return { type: 'refused', error: new ConnectError('FW_ERR_PROXY', `${where} sent an invalid answer to CONNECT ${connectTo}: ${parsed.reason}`) };
    }
    const { status, statusText } = parsed.head;
    if (status >= 200 && status < 300) {
      // A WebSocket server never speaks first, so bytes behind the 200 came from the proxy.
      if (parsed.rest.length > 0) {
        return { type: 'refused', error: new ConnectError('FW_ERR_PROXY', `${where} sent ${parsed.rest.length} bytes after its 200 to CONNECT ${connectTo}`) };
      }
      return { type: 'open' };
    }
    const hint = status === 407 ? ' (credentials missing or refused: put them in the proxy URL)' : '';
    return {
      type: 'refused',
      error: new ConnectError('FW_ERR_PROXY', `${where} answered ${status} ${statusText} to CONNECT ${connectTo}${hint}`, { cause: { status } }),
    };
  }

  /** The proxy closed the connection before it answered. */
  closed(): ConnectError {
    return new ConnectError('FW_ERR_PROXY', `proxy ${this.proxy.label} closed the connection before it answered CONNECT ${this.target.host}:${this.target.port}`);
  }
}
