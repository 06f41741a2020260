// Just enough HTTP/1.1 for the opening handshake (RFC 6455 §4), of the kit's own.
import { createHash, randomBytes } from 'node:crypto';

/** The GUID of RFC 6455 §1.3. */
export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a key (RFC 6455 §4.2.2 step 5.4). */
export function acceptFor(key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

/** A fresh Sec-WebSocket-Key: base64 of 16 random bytes (RFC 6455 §4.1). */
export function newKey(): string {
  return randomBytes(16).toString('base64');
}

/** A parsed request or response head. Header names are lower-cased; repeated headers keep every value. */
export interface HttpHead {
  /** Request: method, target, version. Response: version, status, reason. */
  readonly startLine: string;
  readonly status: number;
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly headers: ReadonlyMap<string, readonly string[]>;
}

/** One header's values joined as a list, or undefined. */
export function header(head: HttpHead, name: string): string | undefined {
  const values = head.headers.get(name.toLowerCase());
  return values === undefined ? undefined : values.join(', ');
}

/** Whether a comma-separated header contains `token`, case-insensitively (RFC 6455 §4.2.1). */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value.split(',').some((part) => part.trim().toLowerCase() === token.toLowerCase());
}

/** Index just after the blank line that ends an HTTP head, or -1. */
export function headEnd(data: Buffer): number {
  const at = data.indexOf('\r\n\r\n');
  return at === -1 ? -1 : at + 4;
}

/** Parse a head (without checking it is a valid WebSocket handshake). */
export function parseHead(text: string): HttpHead {
  const lines = text.split('\r\n').filter((line, i, all) => i < all.length - 2 || line !== '');
  const startLine = lines[0] ?? '';
  const parts = startLine.split(' ');
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const list = headers.get(name) ?? [];
    list.push(value);
    headers.set(name, list);
  }
  const isResponse = startLine.startsWith('HTTP/');
  return {
    startLine,
    status: isResponse ? Number(parts[1]) : 0,
    method: isResponse ? '' : (parts[0] ?? ''),
    target: isResponse ? '' : (parts[1] ?? ''),
    version: isResponse ? (parts[0] ?? '') : (parts[2] ?? ''),
    headers,
  };
}

/** Options of the kit's client handshake request. */
export interface RequestOptions {
  readonly host: string;
  readonly path: string;
  readonly key: string;
  readonly extensions?: string;
  readonly protocols?: string;
  /** Replace or drop (value null) standard headers, or add extra ones. */
  readonly headers?: Readonly<Record<string, string | null>>;
  readonly method?: string;
  readonly httpVersion?: string;
}

/** Build a client opening handshake (RFC 6455 §4.1), with the overrides a case asks for. */
export function buildRequest(opts: RequestOptions): string {
  const base: Record<string, string | null> = {
    Host: opts.host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': opts.key,
    'Sec-WebSocket-Version': '13',
  };
  if (opts.extensions !== undefined) base['Sec-WebSocket-Extensions'] = opts.extensions;
  if (opts.protocols !== undefined) base['Sec-WebSocket-Protocol'] = opts.protocols;
  const lower = new Map(Object.keys(base).map((k) => [k.toLowerCase(), k]));
  for (const [name, value] of Object.entries(opts.headers ?? {})) {
    const existing = lower.get(name.toLowerCase());
    if (existing !== undefined) delete base[existing];
    base[name] = value;
  }
  let text = `${opts.method ?? 'GET'} ${opts.path} ${opts.httpVersion ?? 'HTTP/1.1'}\r\n`;
  for (const [name, value] of Object.entries(base)) {
    if (value === null) continue;
    // A value with embedded CRLF lets a case send a header twice.
    text += `${name}: ${value}\r\n`;
  }
  return `${text}\r\n`;
}
