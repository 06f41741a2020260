/**
 * The client side of the opening handshake (RFC 6455 §4.1): build the upgrade
 * request for a `ws://` or `wss://` URL, then read and validate the response
 * incrementally.
 *
 * @example
 * const hs = new ClientHandshake({ url: 'wss://example.com/chat', protocols: ['chat'] });
 * write(hs.request);
 * const r = hs.receive(bytes);           // 'need-more' | 'accepted' | 'failed'
 * if (r.type === 'accepted') startConnection(r.response, r.rest);
 *
 * @module
 */
import { computeAcceptKey, generateKey } from './accept-key.js';
import { UsageError } from './errors.js';
import { parseExtensions, serializeExtensions, type ExtensionOffer } from './extension-header.js';
import { HandshakeError, type HandshakeErrorCode } from './handshake-error.js';
import {
  encodeHead,
  hasToken,
  isToken,
  isValidHeaderValue,
  normalizeHeaders,
  trimOws,
  type HeaderInit,
  type HttpHeaders,
} from './header-tokens.js';
import { HeadParser, type HeadLimits, type ResponseHead } from './http-head.js';
import type { RandomSource } from './random.js';
import { serializeSubprotocols } from './subprotocol.js';

/** Where to connect: the parts of a WebSocket URI (RFC 6455 §3). */
export interface WebSocketTarget {
  /** `true` for `wss://` (TLS). */
  readonly secure: boolean;
  /** Host name or IP literal, IPv6 without brackets, lower-case. */
  readonly host: string;
  readonly port: number;
  /** Path and query, percent-encoded, starting with `/` (`/chat?room=1`). */
  readonly resource: string;
}

/**
 * Parse a `ws://`, `wss://`, `http://` or `https://` URL (the last two map to
 * `ws`/`wss`) into a {@link WebSocketTarget}. Bracketed IPv6 literals are
 * supported; a fragment (`#`) or user info (`user@`) is refused (RFC 6455 §3).
 * Characters outside visible ASCII in the path are UTF-8 percent-encoded.
 *
 * @throws UsageError (`FW_ERR_INVALID_ARGUMENT`) for anything else.
 */
export function parseWebSocketUrl(url: string): WebSocketTarget {
  const bad = (why: string): UsageError =>
    new UsageError('FW_ERR_INVALID_ARGUMENT', `Invalid WebSocket URL ${JSON.stringify(url)}: ${why}`);
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)(#.*)?$/s.exec(url.trim());
  if (match === null) throw bad('expected scheme://host[:port][/path][?query]');
  const scheme = match[1]!.toLowerCase();
  let secure: boolean;
  if (scheme === 'ws' || scheme === 'http') secure = false;
  else if (scheme === 'wss' || scheme === 'https') secure = true;
  else throw bad(`unsupported scheme ${scheme}`);
  if (match[4] !== undefined) throw bad('fragments are not allowed (RFC 6455 §3)');
  const authority = match[2]!;
  if (authority.includes('@')) throw bad('user info is not supported; send credentials in a header');
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close === -1) throw bad('unterminated IPv6 literal');
    host = authority.slice(1, close);
    if (!/^[0-9A-Fa-f:.]+$/.test(host) || !host.includes(':')) throw bad('invalid IPv6 literal');
    const after = authority.slice(close + 1);
    if (after.length > 0) {
      if (!after.startsWith(':')) throw bad('unexpected text after IPv6 literal');
      portText = after.slice(1);
    }
  } else {
    const colon = authority.lastIndexOf(':');
    host = colon === -1 ? authority : authority.slice(0, colon);
    if (colon !== -1) portText = authority.slice(colon + 1);
    // reg-name or IPv4 (RFC 3986 §3.2.2), restricted to what DNS and IPs use.
    if (!/^[A-Za-z0-9._~%!$&'()*+,;=-]+$/.test(host)) throw bad('invalid host');
  }
  if (host.length === 0) throw bad('missing host');
  let port = secure ? 443 : 80;
  if (portText !== undefined && portText.length > 0) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw bad('invalid port');
    port = Number(portText);
  }
  let resource = encodeResource(match[3]!);
  if (!resource.startsWith('/')) resource = '/' + resource;
  return Object.freeze({ secure, host: host.toLowerCase(), port, resource });
}

/** Percent-encode every byte outside visible ASCII (UTF-8 first). */
function encodeResource(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code > 0x20 && code < 0x7f) {
      out += ch;
      continue;
    }
    for (const byte of new TextEncoder().encode(ch)) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Options of {@link ClientHandshake}. */
export interface ClientHandshakeOptions extends HeadLimits {
  /** `ws://`, `wss://`, `http://` or `https://` URL; or give `target`. */
  url?: string | undefined;
  /** The parts of the URL, when already known. Exactly one of `url`, `target`. */
  target?: WebSocketTarget | undefined;
  /** `Origin` to send (browsers always send one; other clients may). */
  origin?: string | undefined;
  /** Subprotocols to offer, in preference order. */
  protocols?: readonly string[] | undefined;
  /** Extension offers: a ready header value or offers to serialize. */
  extensions?: string | readonly ExtensionOffer[] | undefined;
  /** Extra request headers (`Authorization`, `Cookie`...). Handshake headers are refused. */
  headers?: HeaderInit | undefined;
  /** Source of the key's 16 random bytes. */
  random?: RandomSource | undefined;
  /** Most body bytes kept from a non-101 response. Default 4 KiB. */
  maxErrorBodyBytes?: number | undefined;
}

/** A validated 101 response. */
export interface UpgradeResponse {
  readonly status: 101;
  readonly headers: HttpHeaders;
  /** The subprotocol the server chose, `undefined` when none. */
  readonly protocol: string | undefined;
  /**
   * The extensions the server accepted, each one we offered by name. The
   * negotiator (e.g. permessage-deflate) checks the parameters, and the client
   * must fail the connection (1010) when it refuses them.
   */
  readonly extensions: readonly ExtensionOffer[];
  /** The raw `Sec-WebSocket-Extensions` value, `undefined` when absent. */
  readonly extensionsHeader: string | undefined;
}

/** What {@link ClientHandshake.receive} returns. */
export type ClientHandshakeResult =
  | { readonly type: 'need-more' }
  /** `rest` holds bytes after the head: the server's first frames. */
  | { readonly type: 'accepted'; readonly response: UpgradeResponse; readonly rest: Uint8Array }
  | { readonly type: 'failed'; readonly error: HandshakeError };

// Request fields the handshake writes itself (RFC 6455 §4.1); a user value
// would duplicate or contradict them.
const RESERVED_REQUEST = new Set([
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-accept',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'content-length',
  'transfer-encoding',
]);

const NEED_MORE = Object.freeze({ type: 'need-more' as const });
const DEFAULT_MAX_ERROR_BODY = 4096;

/**
 * One client opening handshake: `request` holds the bytes to write; feed the
 * server's bytes to `receive` until it returns `accepted` or `failed`. Bad
 * server input never throws.
 */
export class ClientHandshake {
  /** The URL parts this handshake connects to. */
  readonly target: WebSocketTarget;
  /** The `Sec-WebSocket-Key` sent. */
  readonly key: string;
  /** The bytes of the upgrade request, to write once. */
  readonly request: Uint8Array;
  /** The offered subprotocols. */
  readonly protocols: readonly string[];
  /** The offered extensions. */
  readonly extensions: readonly ExtensionOffer[];
  readonly #parser: HeadParser<ResponseHead>;
  readonly #maxErrorBody: number;
  /** Set while reading the body of a non-101 response. */
  #failing: { head: ResponseHead; expected: number; chunked: boolean; chunks: Uint8Array[]; size: number } | undefined;
  #final: ClientHandshakeResult | undefined;

  /**
   * @throws UsageError (`FW_ERR_INVALID_ARGUMENT`) for a bad URL, subprotocol,
   *   extension offer, origin, or a header that is reserved or holds CR/LF.
   */
  constructor(options: ClientHandshakeOptions) {
    if ((options.url === undefined) === (options.target === undefined)) {
      throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'Give exactly one of url and target');
    }
    this.target = options.target ?? parseWebSocketUrl(options.url!);
    this.#parser = new HeadParser<ResponseHead>('response', options);
    this.#maxErrorBody = options.maxErrorBodyBytes ?? DEFAULT_MAX_ERROR_BODY;
    this.protocols = Object.freeze([...(options.protocols ?? [])]);
    const protocolHeader = serializeSubprotocols(this.protocols);
    let extensionHeader: string;
    if (typeof options.extensions === 'string') {
      const parsed = parseExtensions([options.extensions]);
      if (!parsed.ok || !isValidHeaderValue(options.extensions)) {
        throw new UsageError('FW_ERR_INVALID_ARGUMENT', `Invalid extension offer: ${JSON.stringify(options.extensions)}`);
      }
      this.extensions = Object.freeze(parsed.value);
      extensionHeader = options.extensions;
    } else {
      this.extensions = Object.freeze([...(options.extensions ?? [])]);
      extensionHeader = serializeExtensions(this.extensions);
    }
    const extra = normalizeHeaders(options.headers, RESERVED_REQUEST);
    if (options.origin !== undefined) {
      if (!isValidHeaderValue(options.origin) || options.origin.length === 0) {
        throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'Invalid origin');
      }
      if (extra.some(([name]) => name.toLowerCase() === 'origin')) {
        throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'Origin given both as an option and as a header');
      }
    }
    this.key = generateKey(options.random);
    const { host, port, secure, resource } = this.target;
    const hostText = host.includes(':') ? `[${host}]` : host;
    // RFC 6455 §4.1 item 4: the port only when it is not the default.
    const hostHeader = port === (secure ? 443 : 80) ? hostText : `${hostText}:${port}`;
    const lines: Array<[string, string]> = [
      ['Host', hostHeader],
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Key', this.key],
      ['Sec-WebSocket-Version', '13'],
    ];
    if (options.origin !== undefined) lines.push(['Origin', options.origin]);
    if (protocolHeader.length > 0) lines.push(['Sec-WebSocket-Protocol', protocolHeader]);
    if (extensionHeader.length > 0) lines.push(['Sec-WebSocket-Extensions', extensionHeader]);
    lines.push(...extra);
    if (!/^\/[\x21-\x7e]*$/.test(resource)) throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'Invalid resource');
    this.request = encodeHead(`GET ${resource} HTTP/1.1`, lines);
  }

  /** Has a final result (`accepted` or `failed`) been produced? */
  get done(): boolean {
    return this.#final !== undefined;
  }

  /**
   * Feed the server's bytes in any chunking.
   *
   * @throws UsageError (`FW_ERR_INVALID_STATE`) when called after a final result.
   */
  receive(bytes: Uint8Array): ClientHandshakeResult {
    if (this.#final !== undefined) {
      throw new UsageError('FW_ERR_INVALID_STATE', 'The handshake already produced its result');
    }
    if (this.#failing !== undefined) return this.#collectBody(bytes);
    const parsed = this.#parser.push(bytes);
    if (parsed.type === 'need-more') return NEED_MORE;
    if (parsed.type === 'error') {
      return this.#fail(parsed.tooLarge ? 'FW_ERR_HANDSHAKE_TOO_LARGE' : 'FW_ERR_HANDSHAKE_MALFORMED', parsed.reason);
    }
    const { head, rest } = parsed;
    if (head.status !== 101) {
      // Keep the start of the body so a 401 or a redirect explains itself.
      const expected = bodyLength(head, this.#maxErrorBody);
      const chunked = hasToken(head.headers.getAll('transfer-encoding'), 'chunked');
      this.#failing = { head, expected, chunked, chunks: [], size: 0 };
      return this.#collectBody(rest);
    }
    const checked = this.#validate(head);
    if (checked instanceof HandshakeError) return (this.#final = { type: 'failed', error: checked });
    this.#final = { type: 'accepted', response: checked, rest: new Uint8Array(0) };
    return { type: 'accepted', response: checked, rest };
  }

  /** The connection ended: fail, keeping any error body received so far. */
  receiveEof(): ClientHandshakeResult {
    if (this.#final !== undefined) return this.#final;
    if (this.#failing !== undefined) return this.#statusError();
    return this.#fail('FW_ERR_HANDSHAKE_EOF', 'Connection ended before the handshake response was complete');
  }

  #collectBody(bytes: Uint8Array): ClientHandshakeResult {
    const failing = this.#failing!;
    // Unknown length (expected 0, not chunked): keep what arrived with the head.
    const wanted = failing.expected === 0 && !failing.chunked ? this.#maxErrorBody : failing.expected;
    const take = Math.min(bytes.length, wanted - failing.size);
    if (take > 0) {
      failing.chunks.push(bytes.slice(0, take));
      failing.size += take;
    }
    const unknownLength = !failing.chunked && failing.expected === 0;
    if (failing.size >= failing.expected || unknownLength || (failing.chunked && endsChunkedBody(failing.chunks))) {
      return this.#statusError();
    }
    return NEED_MORE;
  }

  #statusError(): ClientHandshakeResult {
    const { head, chunks, size } = this.#failing!;
    const body = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.length;
    }
    this.#failing = undefined;
    const error = new HandshakeError(
      'FW_ERR_HANDSHAKE_STATUS',
      `Unexpected server response: ${head.status}${head.statusText ? ' ' + head.statusText : ''}`,
      head.status,
      head.headers,
      body,
    );
    return (this.#final = { type: 'failed', error });
  }

  #fail(code: HandshakeErrorCode, message: string, head?: ResponseHead): ClientHandshakeResult {
    const error = new HandshakeError(code, message, head?.status, head?.headers);
    return (this.#final = { type: 'failed', error });
  }

  /** RFC 6455 §4.1, the client's checks of a 101 response. */
  #validate(head: ResponseHead): UpgradeResponse | HandshakeError {
    const { headers } = head;
    const error = (code: HandshakeErrorCode, message: string): HandshakeError =>
      new HandshakeError(code, message, head.status, headers);
    if (head.version.major !== 1 || head.version.minor < 1) {
      return error('FW_ERR_HANDSHAKE_MALFORMED', 'HTTP/1.1 or later required');
    }
    if (!hasToken(headers.getAll('upgrade'), 'websocket')) return error('FW_ERR_HANDSHAKE_UPGRADE', 'Invalid Upgrade header');
    if (!hasToken(headers.getAll('connection'), 'upgrade')) {
      return error('FW_ERR_HANDSHAKE_UPGRADE', 'Invalid Connection header');
    }
    const accept = headers.getAll('sec-websocket-accept');
    if (accept.length !== 1 || accept[0] !== computeAcceptKey(this.key)) {
      return error('FW_ERR_HANDSHAKE_ACCEPT', 'Invalid Sec-WebSocket-Accept header');
    }
    // RFC 6455 §4.1 item 6 (client checks, 5 in the response list): one offered protocol.
    const protocolLines = headers.getAll('sec-websocket-protocol');
    let protocol: string | undefined;
    if (protocolLines.length > 1) return error('FW_ERR_HANDSHAKE_PROTOCOL', 'Several Sec-WebSocket-Protocol headers');
    if (protocolLines.length === 1) {
      protocol = trimOws(protocolLines[0]!);
      if (!isToken(protocol)) return error('FW_ERR_HANDSHAKE_PROTOCOL', 'Invalid Sec-WebSocket-Protocol header');
      if (!this.protocols.includes(protocol)) {
        return error('FW_ERR_HANDSHAKE_PROTOCOL', `Server chose subprotocol ${protocol}, which was not offered`);
      }
    }
    const extensionLines = headers.getAll('sec-websocket-extensions');
    const extensions = parseExtensions(extensionLines);
    if (!extensions.ok) return error('FW_ERR_HANDSHAKE_EXTENSION', `Invalid Sec-WebSocket-Extensions: ${extensions.reason}`);
    for (const extension of extensions.value) {
      if (!this.extensions.some((offer) => offer.name === extension.name)) {
        return error('FW_ERR_HANDSHAKE_EXTENSION', `Server accepted extension ${extension.name}, which was not offered`);
      }
    }
    return Object.freeze({
      status: 101,
      headers,
      protocol,
      extensions: Object.freeze(extensions.value),
      extensionsHeader: extensionLines.length === 0 ? undefined : headers.get('sec-websocket-extensions'),
    });
  }
}

// RFC 7230 §4.1: a chunked body ends with the last-chunk "0" CRLF and an
// empty trailer CRLF. Seeing it means a keep-alive server is done talking.
// (Data that itself ends in "0" CRLF can end it early: harmless, the body is
// only a diagnostic.)
const CHUNKED_END = [0x30, 0x0d, 0x0a, 0x0d, 0x0a];

function endsChunkedBody(chunks: readonly Uint8Array[]): boolean {
  let matched = 0;
  for (let c = chunks.length - 1; c >= 0 && matched < CHUNKED_END.length; c--) {
    const chunk = chunks[c]!;
    for (let i = chunk.length - 1; i >= 0 && matched < CHUNKED_END.length; i--) {
      if (chunk[i] !== CHUNKED_END[CHUNKED_END.length - 1 - matched]) return false;
      matched++;
    }
  }
  return matched === CHUNKED_END.length;
}

/**
 * How many body bytes to wait for from a non-101 response, capped: by
 * `Content-Length`; none for 1xx/204/304. A chunked body is kept raw, as it
 * arrives, and ends at its last chunk. When the length is unknown the client
 * keeps what came with the head and fails at once: waiting for EOF would let
 * a server that keeps the connection open hold the client forever.
 */
function bodyLength(head: ResponseHead, cap: number): number {
  const { status, headers } = head;
  if ((status >= 100 && status < 200) || status === 204 || status === 304) return 0;
  const length = headers.get('content-length');
  if (length !== undefined && !headers.has('transfer-encoding')) {
    if (/^\d+$/.test(length)) return Math.min(cap, Number(length));
    return 0; // malformed: do not wait for a body we cannot delimit
  }
  return hasToken(headers.getAll('transfer-encoding'), 'chunked') ? cap : 0;
}
