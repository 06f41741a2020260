/**
 * The argument checks of `new WebSocket(url, protocols)` and
 * `new WebSocketStream(url, { protocols })`, in the order the WHATWG
 * WebSockets standard gives them (§ "The WebSocket interface", constructor
 * steps), each failing with a `SyntaxError` DOMException.
 *
 * @module
 */
import { domException } from './dom.js';

/** RFC 9110 §5.6.2 `token`: what a Sec-WebSocket-Protocol element must be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parse and check a WebSocket URL: http(s) maps to ws(s), other schemes and
 * any fragment (even an empty one) are a `SyntaxError`. No base URL: a
 * relative URL is a `SyntaxError` (there is no document here).
 */
export function webSocketUrl(url: string | URL): URL {
  let record: URL;
  try {
    record = new URL(String(url));
  } catch {
    throw domException('SyntaxError', `Invalid URL: ${String(url)}`);
  }
  if (record.protocol === 'http:') record.protocol = 'ws:';
  else if (record.protocol === 'https:') record.protocol = 'wss:';
  if (record.protocol !== 'ws:' && record.protocol !== 'wss:') {
    throw domException('SyntaxError', `The URL's scheme must be ws, wss, http or https, not ${record.protocol.slice(0, -1)}`);
  }
  // The serializer writes '#' only before a fragment, so this also catches an empty one.
  if (record.href.includes('#')) throw domException('SyntaxError', 'A WebSocket URL must not have a fragment');
  return record;
}

/**
 * The subprotocol list: a string is a list of one; each must be a token and
 * none may repeat (compared case-sensitively, like browsers do).
 */
export function webSocketProtocols(protocols: string | Iterable<string> | undefined): string[] {
  const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : Array.from(protocols, String);
  const seen = new Set<string>();
  for (const protocol of list) {
    if (!TOKEN.test(protocol)) throw domException('SyntaxError', `Invalid subprotocol: ${JSON.stringify(protocol)}`);
    if (seen.has(protocol)) throw domException('SyntaxError', `Subprotocol listed twice: ${protocol}`);
    seen.add(protocol);
  }
  return list;
}

const encoder = new TextEncoder();

/**
 * The checks of `close(code, reason)`: WebIDL `[Clamp] unsigned short` for
 * the code, then 1000 or 3000-4999 (else `InvalidAccessError`), then a reason
 * of at most 123 UTF-8 bytes (else `SyntaxError`). Lone surrogates in the
 * reason become U+FFFD (USVString).
 */
export function closeArguments(code: unknown, reason: unknown): { code: number | undefined; reason: string | undefined } {
  let checkedCode: number | undefined;
  if (code !== undefined) {
    checkedCode = clampUnsignedShort(Number(code));
    if (checkedCode !== 1000 && !(checkedCode >= 3000 && checkedCode <= 4999)) {
      throw domException('InvalidAccessError', `The close code must be 1000 or in 3000-4999, not ${checkedCode}`);
    }
  }
  let checkedReason: string | undefined;
  if (reason !== undefined) {
    const bytes = encoder.encode(String(reason));
    if (bytes.length > 123) throw domException('SyntaxError', `The close reason is ${bytes.length} UTF-8 bytes; at most 123 are allowed`);
    checkedReason = new TextDecoder().decode(bytes);
  }
  return { code: checkedCode, reason: checkedReason };
}

/** WebIDL [Clamp] to an unsigned short: NaN is 0, round half to even, clamp to 0-65535. */
function clampUnsignedShort(value: number): number {
  if (Number.isNaN(value)) return 0;
  const clamped = Math.min(Math.max(value, 0), 65535);
  const floor = Math.floor(clamped);
  const fraction = clamped - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** UTF-8 length of a string without allocating for ASCII-only text. */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 4;
      i++;
    } else length += 3; // other BMP units, and lone surrogates (sent as U+FFFD)
  }
  return length;
}
