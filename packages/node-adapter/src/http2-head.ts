// RFC 8441 maps a WebSocket opening handshake onto HTTP/2 header blocks.
// The codec decides every handshake on HTTP/1.1 heads (the same decision
// code for every transport), so this file only translates between the two
// header forms, both ways, and takes no decision of its own beyond the
// RFC 8441 §4-5 pseudo-header checks the codec cannot see.
import { computeAcceptKey, HttpHeaders, type RequestHead, type ResponseHead } from '@framewire/codec/adapter';

/**
 * The key put into the HTTP/1.1 head built from an extended CONNECT: RFC 8441
 * §5 drops `Sec-WebSocket-Key`, but the codec's validator wants one. Base64
 * of 16 zero bytes; nobody ever sees the accept value computed from it.
 */
export const SYNTHETIC_KEY = 'AAAAAAAAAAAAAAAAAAAAAA==';

/** An extended CONNECT the server refuses before the codec sees it. */
export interface Http2Refusal {
  readonly status: number;
  readonly reason: string;
}

// Fields HTTP/2 forbids (RFC 9113 §8.2.2) or that the translation writes itself.
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

/**
 * Turn an RFC 8441 extended CONNECT (`rawHeaders` of a Node `'stream'`
 * event, name/value pairs flattened) into the HTTP/1.1 upgrade head the
 * codec validates: `GET :path`, `Host: :authority`, `Upgrade: websocket`,
 * `Connection: Upgrade`, a synthetic key, every regular field kept. The
 * version is 2.0, so `request.httpVersion` tells an HTTP/2 stream apart.
 *
 * Refusals (documented in the README): CONNECT without `:protocol` and an
 * unknown `:protocol` → 501 (this server is no tunnel); a missing `:path`
 * or `:scheme` → 400 (RFC 8441 §4 requires both).
 */
export function requestHeadFromHttp2(rawHeaders: readonly string[]): RequestHead | Http2Refusal {
  const pseudo = new Map<string, string>();
  const fields: Array<[string, string]> = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (name.startsWith(':')) pseudo.set(name, value);
    else if (name !== 'sec-websocket-key' && name !== 'host' && !CONNECTION_SPECIFIC.has(name)) fields.push([name, value]);
  }
  if (pseudo.get(':method') !== 'CONNECT') return { status: 405, reason: 'Method must be CONNECT' };
  const protocol = pseudo.get(':protocol');
  if (protocol === undefined) return { status: 501, reason: 'CONNECT without :protocol (a tunnel) is not supported' };
  if (protocol.toLowerCase() !== 'websocket') return { status: 501, reason: `Unsupported :protocol ${JSON.stringify(protocol)}` };
  const path = pseudo.get(':path');
  if (path === undefined || path.length === 0) return { status: 400, reason: 'Extended CONNECT without :path' };
  if (pseudo.get(':scheme') === undefined) return { status: 400, reason: 'Extended CONNECT without :scheme' };
  const authority = pseudo.get(':authority') ?? hostOf(rawHeaders);
  if (authority === undefined) return { status: 400, reason: 'Extended CONNECT without :authority' };
  fields.unshift(['host', authority], ['upgrade', 'websocket'], ['connection', 'Upgrade'], ['sec-websocket-key', SYNTHETIC_KEY]);
  return { kind: 'request', method: 'GET', target: path, version: { major: 2, minor: 0 }, headers: new HttpHeaders(fields) };
}

function hostOf(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'host') return rawHeaders[i + 1];
  return undefined;
}

/** An HTTP/2 response header block as Node's `stream.respond()` takes it. */
export type Http2ResponseHeaders = Record<string, string | string[] | number>;

/**
 * The HTTP/2 answer to the codec's HTTP/1.1 response head: `101` becomes
 * `:status 200` without `Sec-WebSocket-Accept` (RFC 8441 §5), any other
 * status stays; connection-specific fields are dropped (RFC 9113 §8.2.2).
 */
export function http2ResponseHeaders(head: ResponseHead): Http2ResponseHeaders {
  const out: Http2ResponseHeaders = { ':status': head.status === 101 ? 200 : head.status };
  for (const [rawName, value] of head.headers) {
    const name = rawName.toLowerCase();
    if (CONNECTION_SPECIFIC.has(name) || name === 'sec-websocket-accept') continue;
    const previous = out[name];
    if (previous === undefined) out[name] = value;
    else out[name] = Array.isArray(previous) ? [...previous, value] : [String(previous), value];
  }
  return out;
}

/** Client side: the extended CONNECT for the codec's HTTP/1.1 upgrade request. */
export interface Http2Request {
  readonly headers: Record<string, string | string[]>;
  /** The `Sec-WebSocket-Key` the codec sent, to answer its accept check. */
  readonly key: string;
}

/**
 * Client side: turn the codec's `GET` upgrade request into an RFC 8441
 * extended CONNECT (`:protocol websocket`, `:path`, `:authority` from
 * `Host`, `:scheme`), keeping the WebSocket fields and the caller's headers.
 */
export function http2RequestFromHead(head: RequestHead, scheme: 'https' | 'http'): Http2Request {
  const headers: Record<string, string | string[]> = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': scheme,
    ':path': head.target,
    ':authority': head.headers.get('host') ?? '',
  };
  for (const [rawName, value] of head.headers) {
    const name = rawName.toLowerCase();
    if (name === 'host' || name === 'sec-websocket-key' || CONNECTION_SPECIFIC.has(name)) continue;
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else headers[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return { headers, key: head.headers.get('sec-websocket-key') ?? '' };
}

/**
 * Client side: the HTTP/1.1 response head the codec's client driver checks,
 * built from the server's HTTP/2 response: `:status 200` becomes a 101 with
 * the accept value for `key` (RFC 8441 §5 has none); any other status keeps
 * its fields and `body`, with a `Content-Length`.
 */
export function responseBytesFromHttp2(
  headers: Readonly<Record<string, string | string[] | number | undefined>>,
  key: string,
  body: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const status = Number(headers[':status']);
  const lines =
    status === 200
      ? ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${computeAcceptKey(key)}`]
      : [`HTTP/1.1 ${status} HTTP2`, `Content-Length: ${body.length}`];
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined || name === 'content-length' || CONNECTION_SPECIFIC.has(name)) continue;
    for (const one of Array.isArray(value) ? value : [String(value)]) lines.push(`${name}: ${one}`);
  }
  const head = new TextEncoder().encode(lines.join('\r\n') + '\r\n\r\n');
  if (body.length === 0) return head;
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}
