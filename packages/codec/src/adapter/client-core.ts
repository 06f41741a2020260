/**
 * The runtime-neutral `connect()` of every adapter: URL check, one deadline
 * over TCP, TLS and the opening handshake, the caller's abort signal, the
 * client upgrade (RFC 6455 §4.1) and the mapping of every failure to a
 * {@link ConnectError}. The adapter supplies only how to open a transport.
 *
 * @module
 */
import { parseWebSocketUrl, type WebSocketTarget } from '../protocol/handshake-client.js';
import type { Session } from '../session/session.js';
import { connectWebSocket, type ClientUpgrade } from '../session/upgrade-client.js';
import {
  DEFAULT_ADAPTER_HANDSHAKE_TIMEOUT,
  deflateNegotiators,
  upgradeOptions,
  type AbortSignalLike,
  type AdapterRuntime,
  type ClientOfferOptions,
} from './adapter-options.js';
import { ConnectError, HandshakeStatusError, connectErrorFrom } from '../session/connect-errors.js';
import { proxyFor, type ProxyEnvironment, type ProxyTarget } from './proxy.js';
import { DEFAULT_MAX_REDIRECTS, REDIRECT_STATUSES, headersForRedirect, resolveLocation, targetHref } from './redirect.js';
import type { AttachableTransport } from './server-core.js';

/** How {@link connectTransport} reaches the server on one runtime. */
export interface ConnectFlow<T extends AttachableTransport> {
  /** The runtime hooks: scheduler (for the deadline), compressor, UTF-8 validator. */
  readonly runtime: AdapterRuntime;
  /**
   * Open TCP (and TLS for `target.secure`, handshake done) to `target`;
   * with a `proxy`, TCP to the proxy, a {@link ProxyTunnel} exchange, then
   * TLS inside the tunnel.
   * Rejects with a {@link ConnectError}: `FW_ERR_ABORTED` once `signal`
   * fired (the flow turns it into a timeout or an abort), else
   * `FW_ERR_CONNECTION_FAILED` or `FW_ERR_TLS`.
   */
  open(target: WebSocketTarget, signal: AbortSignalLike, proxy: ProxyTarget | undefined): Promise<T>;
  /**
   * The environment variables for `proxy: { fromEnv: true }` (`HTTPS_PROXY`,
   * `HTTP_PROXY`, `NO_PROXY`), read only when asked. Without it, `fromEnv`
   * finds no proxy.
   */
  proxyEnvironment?(): ProxyEnvironment;
  /** The handshake succeeded: bookkeeping before the session is handed out. */
  opened?(session: Session, transport: T): void;
  /** The handshake failed (the transport is being destroyed): wait for what must settle first. */
  failed?(transport: T): Promise<void> | void;
}

/**
 * The combined signal of one connect attempt: fires on the caller's signal or
 * on the deadline, and tells which. The codec has no `AbortController`
 * (ARCHITECTURE.md: no runtime globals), so it is this small.
 */
class AttemptSignal implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  timedOut = false;
  readonly #listeners = new Set<() => void>();
  readonly #parent: AbortSignalLike | undefined;
  readonly #onParentAbort = (): void => this.abort(this.#parent?.reason);

  constructor(parent: AbortSignalLike | undefined) {
    this.#parent = parent;
    if (parent === undefined) return;
    if (parent.aborted) this.abort(parent.reason);
    else parent.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.#listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.#listeners.delete(listener);
  }

  abort(reason: unknown, timedOut = false): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.timedOut = timedOut;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  }

  /** Stop following the caller's signal (the attempt is over). */
  detach(): void {
    this.#parent?.removeEventListener('abort', this.#onParentAbort);
  }
}

/**
 * Open a WebSocket connection to a `ws://` or `wss://` URL with the
 * adapter's `flow.open`, run the client handshake and resolve with the
 * `Session`. Rejects with a {@link ConnectError} whose `code` says why:
 * `FW_ERR_INVALID_URL`, `FW_ERR_CONNECTION_FAILED`, `FW_ERR_TLS`,
 * `FW_ERR_HANDSHAKE_STATUS` (a `HandshakeStatusError`), `FW_ERR_HANDSHAKE_INVALID`,
 * `FW_ERR_HANDSHAKE_TIMEOUT`, `FW_ERR_CONNECTION_CLOSED`, `FW_ERR_ABORTED`,
 * `FW_ERR_TOO_MANY_REDIRECTS`. With `followRedirects`, a 301/302/303/307/308
 * answer with a `Location` is followed (up to `maxRedirects`, default 10),
 * within the same deadline; credentials headers stay behind when the
 * redirect leaves the origin.
 * A bad header, origin or subprotocol is local misuse: the codec's
 * `UsageError` is thrown as is.
 *
 * @example An adapter's connect()
 * ```ts
 * export function connect(url: string | URL, options: ConnectOptions = {}): Promise<Session> {
 *   return connectTransport(url, options, { runtime, open: (target, signal) => openMyTransport(target, options.tls, signal) });
 * }
 * ```
 */
export async function connectTransport<T extends AttachableTransport>(
  url: string | { readonly href: string },
  options: ClientOfferOptions,
  flow: ConnectFlow<T>,
): Promise<Session> {
  const href = typeof url === 'string' ? url : url.href; // a URL object
  let target = parseTarget(href);
  const { scheduler } = flow.runtime;
  const timeoutMs = options.handshakeTimeout ?? DEFAULT_ADAPTER_HANDSHAKE_TIMEOUT;
  const maxRedirects = options.followRedirects === true ? (options.maxRedirects ?? DEFAULT_MAX_REDIRECTS) : 0;
  // One deadline covers TCP, TLS and the HTTP exchange, over every redirect.
  const signal = new AttemptSignal(options.signal);
  const timer = scheduler.setTimer(() => signal.abort(undefined, true), timeoutMs);
  let headers = options.headers;
  let hrefNow = href;
  try {
    for (let hop = 0; ; hop++) {
      try {
        return await attempt(hrefNow, target, headers, options, flow, signal, timeoutMs);
      } catch (error) {
        const location = redirectLocation(error, options.followRedirects === true);
        if (location === undefined) throw error;
        if (hop >= maxRedirects) {
          throw new ConnectError('FW_ERR_TOO_MANY_REDIRECTS', `${href}: more than ${maxRedirects} redirects (last to ${location})`, { cause: error });
        }
        const next = parseTarget(resolveLocation(target, location));
        headers = headersForRedirect(headers, target, next);
        target = next;
        hrefNow = targetHref(next);
      }
    }
  } finally {
    scheduler.clearTimer(timer);
    signal.detach();
  }
}

function parseTarget(href: string): WebSocketTarget {
  try {
    return parseWebSocketUrl(href);
  } catch (error) {
    throw new ConnectError('FW_ERR_INVALID_URL', (error as Error).message, { cause: error });
  }
}

/** The `Location` of a 3xx answer to follow, when following is on. */
function redirectLocation(error: unknown, follow: boolean): string | undefined {
  if (!follow || !(error instanceof HandshakeStatusError) || !REDIRECT_STATUSES.has(error.status)) return undefined;
  const location = error.headers['location'];
  return location === undefined || location.trim() === '' ? undefined : location;
}

/** One TCP (+TLS) connection and one opening handshake with `target`. */
async function attempt<T extends AttachableTransport>(
  href: string,
  target: WebSocketTarget,
  headers: ClientOfferOptions['headers'],
  options: ClientOfferOptions,
  flow: ConnectFlow<T>,
  signal: AttemptSignal,
  timeoutMs: number,
): Promise<Session> {
  const failure = (): ConnectError =>
    signal.timedOut
      ? new ConnectError('FW_ERR_HANDSHAKE_TIMEOUT', `no WebSocket handshake with ${href} within ${timeoutMs} ms`)
      : new ConnectError('FW_ERR_ABORTED', 'connect() was aborted', { cause: options.signal?.reason });
  if (signal.aborted) throw failure();
  const proxySetting = options.proxy;
  const proxy = proxyFor(target, proxySetting, typeof proxySetting === 'object' ? flow.proxyEnvironment?.() : undefined);
  let transport: T;
  try {
    transport = await flow.open(target, signal, proxy);
  } catch (error) {
    if (error instanceof ConnectError && error.code === 'FW_ERR_ABORTED') throw failure();
    throw error;
  }
  let upgrade: ClientUpgrade;
  try {
    upgrade = connectWebSocket(transport, {
      ...upgradeOptions(options, flow.runtime),
      target,
      handshakeTimeout: timeoutMs + 1000, // our own deadline (which includes TCP and TLS) fires first
      ...(options.protocols !== undefined ? { protocols: options.protocols } : {}),
      ...(headers !== undefined ? { headers } : {}),
      ...(options.origin !== undefined ? { origin: options.origin } : {}),
      extensions: deflateNegotiators(options.perMessageDeflate, true, flow.runtime),
    });
  } catch (error) {
    transport.destroy(); // a bad header, origin or subprotocol: local misuse, thrown as is
    throw error;
  }
  transport.attach(upgrade);
  const onAbort = (): void => transport.destroy();
  signal.addEventListener('abort', onAbort);
  let session: Session;
  try {
    session = await upgrade.session;
    flow.opened?.(session, transport);
  } catch (error) {
    await flow.failed?.(transport);
    if (signal.aborted) throw failure();
    throw connectErrorFrom(href, error as Error, target.secure);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (options.onUpgrade !== undefined) {
    try {
      options.onUpgrade(upgrade.response!);
    } catch (error) {
      session.terminate(); // the application refused the connection: its error, as thrown
      throw error;
    }
  }
  return session;
}
