/**
 * The server side of the opening handshake (RFC 6455 §4.2): an incremental
 * request reader that validates the upgrade, then pure functions that turn the
 * application's decision into the bytes of a 101 or an error response.
 *
 * @example
 * const hs = new ServerHandshake();
 * const r = hs.receive(bytes);
 * if (r.type === 'reject') write(r.response);
 * if (r.type === 'request') {
 *   if (!originAllowed(r.request, ['https://app.example'])) write(rejectUpgrade(403));
 *   else write(acceptUpgrade(r.request, { protocol: selectSubprotocol(r.request.protocols, ['chat']) }));
 * }
 *
 * @module
 */
import { computeAcceptKey, isValidKey } from './accept-key.js';
import { UsageError } from './errors.js';
import { parseExtensions, serializeExtensions, type ExtensionOffer } from './extension-header.js';
import {
  encodeHead,
  hasToken,
  isValidHeaderValue,
  normalizeHeaders,
  type HeaderInit,
  type HttpHeaders,
} from './header-tokens.js';
import { HeadParser, type HeadLimits, type HttpVersion, type RequestHead } from './http-head.js';
import { parseSubprotocols } from './subprotocol.js';

/** A validated WebSocket upgrade request, frozen. */
export interface UpgradeRequest {
  readonly method: 'GET';
  /** The request-target as sent (`/chat?room=1`). */
  readonly target: string;
  /** The path part of the target, still percent-encoded (`/chat`). */
  readonly path: string;
  /** The raw query without `?` (`room=1`), empty when none. */
  readonly query: string;
  /** The query split into decoded `[name, value]` pairs, in order. See {@link getQueryParam}. */
  readonly queryParams: ReadonlyArray<readonly [string, string]>;
  readonly httpVersion: HttpVersion;
  /** All request headers: case-insensitive lookup, repeated fields kept. */
  readonly headers: HttpHeaders;
  readonly host: string;
  /** The `Origin` header (browsers always send it), `undefined` when absent. */
  readonly origin: string | undefined;
  /** `Sec-WebSocket-Key`, validated as base64 of 16 bytes. */
  readonly key: string;
  /** Offered subprotocols in the client's order. */
  readonly protocols: readonly string[];
  /** Extension offers in the client's order (RFC 6455 §9.1). */
  readonly extensions: readonly ExtensionOffer[];
}

/** Options of {@link ServerHandshake}. */
export interface ServerHandshakeOptions extends HeadLimits {}

/** What {@link ServerHandshake.receive} returns. */
export type ServerHandshakeResult =
  | { readonly type: 'need-more' }
  /** A valid upgrade request: decide, then write {@link acceptUpgrade} or {@link rejectUpgrade} bytes. `rest` are bytes after the head (early frames). */
  | { readonly type: 'request'; readonly request: UpgradeRequest; readonly rest: Uint8Array }
  /** Not a valid upgrade: write `response` and close the connection. */
  | { readonly type: 'reject'; readonly status: number; readonly response: Uint8Array; readonly reason: string };

const NEED_MORE = Object.freeze({ type: 'need-more' as const });

/**
 * Reads one upgrade request, validating it per RFC 6455 §4.2.1. Bad input is
 * never thrown: it ends in `{ type: 'reject', status, response }` with 400,
 * 405, 414, 426 or 431.
 */
export class ServerHandshake {
  readonly #parser: HeadParser<RequestHead>;
  #final: ServerHandshakeResult | undefined;

  constructor(options: ServerHandshakeOptions = {}) {
    this.#parser = new HeadParser<RequestHead>('request', options);
  }

  /** Has a final result (`request` or `reject`) been produced? */
  get done(): boolean {
    return this.#final !== undefined;
  }

  /**
   * Feed bytes as they arrive, in any chunking.
   *
   * @throws UsageError (`FW_ERR_INVALID_STATE`) when called after a final result.
   */
  receive(bytes: Uint8Array): ServerHandshakeResult {
    if (this.#final !== undefined) {
      throw new UsageError('FW_ERR_INVALID_STATE', 'The handshake already produced its result');
    }
    const parsed = this.#parser.push(bytes);
    if (parsed.type === 'need-more') return NEED_MORE;
    if (parsed.type === 'error') return (this.#final = rejection(parsed.status, parsed.reason));
    return this.receiveHead(parsed.head, parsed.rest);
  }

  /**
   * Validate a request head another parser already read (an HTTP server's,
   * or a sniffer that had to look at it first), so no head is parsed twice.
   * `rest` is what followed the head.
   *
   * @throws UsageError (`FW_ERR_INVALID_STATE`) when called after a final result.
   */
  receiveHead(head: RequestHead, rest: Uint8Array = new Uint8Array(0)): ServerHandshakeResult {
    if (this.#final !== undefined) {
      throw new UsageError('FW_ERR_INVALID_STATE', 'The handshake already produced its result');
    }
    const checked = validateRequest(head);
    if (typeof checked === 'object' && 'status' in checked) {
      return (this.#final = rejection(checked.status, checked.reason, checked.headers));
    }
    this.#final = { type: 'request', request: checked, rest: new Uint8Array(0) };
    return { type: 'request', request: checked, rest };
  }

  /**
   * The connection ended. Before a complete request this is a 400 (there is
   * usually nobody left to read it; closing is enough).
   */
  receiveEof(): ServerHandshakeResult {
    if (this.#final !== undefined) return this.#final;
    return (this.#final = rejection(400, 'Connection ended before the request was complete'));
  }
}

interface Refusal {
  status: number;
  reason: string;
  headers?: Array<[string, string]>;
}

// Fields that must appear at most once in an upgrade request.
const SINGLE = ['host', 'sec-websocket-key', 'sec-websocket-version', 'origin', 'content-length'];

/** RFC 6455 §4.2.1: every rule a server checks before it may answer 101. */
function validateRequest(head: RequestHead): UpgradeRequest | Refusal {
  const { headers } = head;
  if (head.method !== 'GET') return { status: 405, reason: 'Method must be GET', headers: [['Allow', 'GET']] };
  const { major, minor } = head.version;
  if (major < 1 || (major === 1 && minor < 1)) return { status: 400, reason: 'HTTP/1.1 or later required' };
  for (const name of SINGLE) {
    if (headers.count(name) > 1) return { status: 400, reason: `Duplicate ${name} header` };
  }
  const target = splitTarget(head.target);
  if (target === undefined) return { status: 400, reason: 'Invalid request target' };
  const host = headers.get('host');
  if (host === undefined || host.length === 0) return { status: 400, reason: 'Missing Host header' };
  // A body would be read as WebSocket frames: refuse rather than guess.
  if (headers.has('transfer-encoding')) return { status: 400, reason: 'Unexpected Transfer-Encoding' };
  const length = headers.get('content-length');
  if (length !== undefined && !/^0+$/.test(length)) return { status: 400, reason: 'Unexpected request body' };
  if (!hasToken(headers.getAll('upgrade'), 'websocket')) return { status: 400, reason: 'Invalid Upgrade header' };
  if (!hasToken(headers.getAll('connection'), 'upgrade')) return { status: 400, reason: 'Invalid Connection header' };
  // RFC 6455 §4.2.2 item 4 / §4.4: unsupported version → 426 listing ours.
  const version = headers.get('sec-websocket-version');
  if (version !== '13') {
    return {
      status: 426,
      reason: version === undefined ? 'Missing Sec-WebSocket-Version' : 'Unsupported Sec-WebSocket-Version',
      headers: [['Sec-WebSocket-Version', '13']],
    };
  }
  const key = headers.get('sec-websocket-key');
  if (key === undefined || !isValidKey(key)) return { status: 400, reason: 'Invalid Sec-WebSocket-Key' };
  const protocols = parseSubprotocols(headers.getAll('sec-websocket-protocol'));
  if (!protocols.ok) return { status: 400, reason: `Invalid Sec-WebSocket-Protocol: ${protocols.reason}` };
  const extensions = parseExtensions(headers.getAll('sec-websocket-extensions'));
  if (!extensions.ok) return { status: 400, reason: `Invalid Sec-WebSocket-Extensions: ${extensions.reason}` };
  return Object.freeze({
    method: 'GET',
    target: head.target,
    path: target.path,
    query: target.query,
    queryParams: Object.freeze(parseQuery(target.query)),
    httpVersion: head.version,
    headers,
    host,
    origin: headers.get('origin'),
    key,
    protocols: Object.freeze(protocols.value),
    extensions: Object.freeze(extensions.value),
  });
}

/** Origin-form `/p?q` or absolute-form `scheme://authority/p?q` (RFC 7230 §5.3). */
function splitTarget(target: string): { path: string; query: string } | undefined {
  let rest = target;
  if (!rest.startsWith('/')) {
    const match = /^(?:wss?|https?):\/\/[^/?#]+/i.exec(rest);
    if (match === null) return undefined;
    rest = rest.slice(match[0].length);
    if (rest.length === 0 || rest.startsWith('?')) rest = '/' + rest;
  }
  if (rest.includes('#')) return undefined; // RFC 6455 §3: no fragments
  const q = rest.indexOf('?');
  return q === -1 ? { path: rest, query: '' } : { path: rest.slice(0, q), query: rest.slice(q + 1) };
}

/**
 * Split a raw query (`a=1&b=x%20y`) into decoded pairs. `+` means space (HTML
 * form encoding); a malformed escape keeps its raw text rather than failing.
 */
export function parseQuery(query: string): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  if (query.length === 0) return out;
  for (const part of query.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    out.push(Object.freeze([decodeComponent(name), decodeComponent(value)] as const));
  }
  return out;
}

function decodeComponent(s: string): string {
  const spaced = s.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** The first value of a query parameter of the request, `undefined` when absent. */
export function getQueryParam(request: Pick<UpgradeRequest, 'queryParams'>, name: string): string | undefined {
  for (const [key, value] of request.queryParams) if (key === name) return value;
  return undefined;
}

/** Options of {@link acceptUpgrade}. */
export interface AcceptOptions {
  /** The chosen subprotocol; must be one the client offered. */
  protocol?: string | undefined;
  /**
   * The negotiated extensions: a ready `Sec-WebSocket-Extensions` value (as a
   * negotiator such as permessage-deflate produces) or offers to serialize.
   * Every name must have been offered by the client.
   */
  extensions?: string | readonly ExtensionOffer[] | undefined;
  /** Extra response headers (`Set-Cookie`, ...). */
  headers?: HeaderInit | undefined;
}

// Response fields the handshake writes itself (or that would break framing).
const RESERVED_RESPONSE = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'sec-websocket-version',
  'content-length',
  'transfer-encoding',
]);

/**
 * The bytes of the `101 Switching Protocols` response (RFC 6455 §4.2.2 item 5).
 *
 * @throws UsageError (`FW_ERR_INVALID_ARGUMENT`) when `protocol` was not
 *   offered, an extension was not offered or its header is malformed, or an
 *   extra header is reserved or holds CR/LF.
 */
export function acceptUpgrade(request: UpgradeRequest, options: AcceptOptions = {}): Uint8Array {
  const lines: Array<[string, string]> = [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Accept', computeAcceptKey(request.key)],
  ];
  if (options.protocol !== undefined) {
    // RFC 6455 §4.2.2 item 5.4: the server picks one of the client's values.
    if (!request.protocols.includes(options.protocol)) {
      throw new UsageError('FW_ERR_INVALID_ARGUMENT', `Subprotocol ${JSON.stringify(options.protocol)} was not offered`);
    }
    lines.push(['Sec-WebSocket-Protocol', options.protocol]);
  }
  if (options.extensions !== undefined) {
    let value: string;
    let accepted: readonly ExtensionOffer[];
    if (typeof options.extensions === 'string') {
      value = options.extensions;
      const parsed = parseExtensions([value]);
      if (!parsed.ok || !isValidHeaderValue(value)) {
        throw new UsageError('FW_ERR_INVALID_ARGUMENT', `Invalid Sec-WebSocket-Extensions value: ${JSON.stringify(value)}`);
      }
      accepted = parsed.value;
    } else {
      accepted = options.extensions;
      value = serializeExtensions(accepted);
    }
    for (const extension of accepted) {
      if (!request.extensions.some((offer) => offer.name === extension.name)) {
        throw new UsageError('FW_ERR_INVALID_ARGUMENT', `Extension ${extension.name} was not offered`);
      }
    }
    if (accepted.length > 0) lines.push(['Sec-WebSocket-Extensions', value]);
  }
  lines.push(...normalizeHeaders(options.headers, RESERVED_RESPONSE));
  return encodeHead('HTTP/1.1 101 Switching Protocols', lines);
}

/** Options of {@link rejectUpgrade}. */
export interface RejectOptions {
  /** Extra headers (`WWW-Authenticate`, `Location`, `Content-Type`...). */
  headers?: HeaderInit | undefined;
  /** The body; a string is sent as UTF-8. Defaults to the reason phrase. */
  body?: string | Uint8Array | undefined;
  /** The reason phrase of the status line. Defaults to the standard one. */
  reason?: string | undefined;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  414: 'URI Too Long',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

// The error response sets these itself; Content-Type may be overridden.
const RESERVED_REJECT = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * The bytes of an error response that refuses the upgrade: any status but
 * 1xx, `Connection: close`, a `Content-Length` body. Close the connection
 * after writing it.
 *
 * @throws UsageError (`FW_ERR_INVALID_ARGUMENT`) for a status outside
 *   200-999, a reason with control characters, or a reserved or broken header.
 */
export function rejectUpgrade(status: number, options: RejectOptions = {}): Uint8Array {
  if (!Number.isInteger(status) || status < 200 || status > 999) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', `Invalid rejection status: ${status}`);
  }
  const reason = options.reason ?? REASONS[status] ?? 'Error';
  if (!isValidHeaderValue(reason)) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'Invalid reason phrase: control characters');
  }
  const extra = normalizeHeaders(options.headers, RESERVED_REJECT);
  const body = typeof options.body === 'string' ? new TextEncoder().encode(options.body) : options.body ?? new TextEncoder().encode(reason);
  const lines: Array<[string, string]> = [['Connection', 'close']];
  if (!extra.some(([name]) => name.toLowerCase() === 'content-type')) {
    lines.push(['Content-Type', 'text/plain; charset=utf-8']);
  }
  lines.push(['Content-Length', String(body.length)], ...extra);
  const head = encodeHead(`HTTP/1.1 ${status} ${reason}`, lines);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function rejection(status: number, reason: string, headers?: Array<[string, string]>): ServerHandshakeResult {
  const response = rejectUpgrade(status, { body: reason, headers });
  return Object.freeze({ type: 'reject', status, response, reason });
}

/** Which origins {@link originAllowed} lets in. */
export type OriginPolicy = ReadonlyArray<string | RegExp> | ((origin: string) => boolean);

/**
 * Is the request's `Origin` allowed? Strings match exactly, ignoring ASCII
 * case (`https://app.example`); a RegExp is tested against the whole value; a
 * function decides. A request without `Origin` (not a browser) is allowed only
 * with `allowMissing: true`. Run it before {@link acceptUpgrade}.
 */
export function originAllowed(
  request: Pick<UpgradeRequest, 'origin'>,
  policy: OriginPolicy,
  options: { allowMissing?: boolean } = {},
): boolean {
  const origin = request.origin;
  if (origin === undefined) return options.allowMissing === true;
  if (typeof policy === 'function') return policy(origin);
  const lower = origin.toLowerCase();
  for (const entry of policy) {
    if (typeof entry === 'string') {
      if (entry.toLowerCase() === lower) return true;
    } else {
      entry.lastIndex = 0; // a /g or /y RegExp keeps state between calls
      if (entry.test(origin)) return true;
    }
  }
  return false;
}
