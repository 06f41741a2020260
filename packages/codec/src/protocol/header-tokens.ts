/**
 * HTTP header helpers for the handshake: token checks, comma-separated list
 * matching (case-insensitive), a small multi-valued header map and the checks
 * that keep user-supplied headers from breaking a head we serialize.
 *
 * @module
 */
import { UsageError } from './errors.js';

// RFC 7230 §3.2.6: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-"
// / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;

/** Is this character code a `tchar` (RFC 7230 §3.2.6)? */
export function isTokenChar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** Is `s` a non-empty HTTP `token` (RFC 7230 §3.2.6)? Header names and extension names are tokens. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/**
 * May `s` be sent as a header field value? RFC 7230 §3.2: visible ASCII,
 * SP, HTAB and obs-text (0x80-0xFF); no CR, LF, NUL or other control
 * characters, and no leading or trailing whitespace (it would be trimmed).
 */
export function isValidHeaderValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x09) continue;
    if (c < 0x20 || c === 0x7f || c > 0xff) return false;
  }
  if (s.length > 0) {
    const first = s.charCodeAt(0);
    const last = s.charCodeAt(s.length - 1);
    if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) return false;
  }
  return true;
}

/** Trim HTTP optional whitespace (SP / HTAB, RFC 7230 §3.2.3), and nothing else. */
export function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) === 0x20 || s.charCodeAt(start) === 0x09)) start++;
  while (end > start && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--;
  return s.slice(start, end);
}

/**
 * Split header values into list elements (RFC 7230 §7 `#rule`): values from
 * several header lines are concatenated, elements are separated by commas,
 * whitespace is trimmed and empty elements are dropped.
 *
 * Only for lists of tokens: it does not understand quoted strings (use
 * {@link parseExtensions} for `Sec-WebSocket-Extensions`).
 */
export function splitList(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const element = trimOws(part);
      if (element.length > 0) out.push(element);
    }
  }
  return out;
}

/**
 * Does a comma-separated header list contain `token`, compared
 * case-insensitively? `Connection: keep-alive, Upgrade` contains `upgrade`
 * (RFC 6455 §4.2.1 items 3 and 4).
 */
export function hasToken(values: readonly string[], token: string): boolean {
  const wanted = token.toLowerCase();
  // Scans in place: no list, no substrings (it runs twice per handshake).
  for (const value of values) {
    let start = 0;
    while (start <= value.length) {
      let end = value.indexOf(',', start);
      if (end === -1) end = value.length;
      let a = start;
      let b = end;
      while (a < b && isOws(value.charCodeAt(a))) a++;
      while (b > a && isOws(value.charCodeAt(b - 1))) b--;
      if (b - a === wanted.length && equalsLowerAt(value, a, wanted)) return true;
      start = end + 1;
    }
  }
  return false;
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Does `s` at `at` read `lower` when its ASCII letters are lower-cased? */
function equalsLowerAt(s: string, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = s.charCodeAt(at + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Header fields in the order received: case-insensitive lookup, every value of
 * a repeated field kept. Immutable once built.
 */
export class HttpHeaders implements Iterable<readonly [string, string]> {
  readonly #entries: ReadonlyArray<readonly [string, string]>;
  /**
   * Lower-case names, index for index with `#entries`. A head has a few dozen
   * fields at most (the parser caps it), so a scan beats building a map per
   * request.
   */
  readonly #keys: readonly string[];

  /**
   * @param entries `[name, value]` pairs; names keep their original case for
   *   display. Frozen pairs are kept as they are, others are copied.
   */
  constructor(entries: Iterable<readonly [string, string]> = []) {
    const list: Array<readonly [string, string]> = Array.isArray(entries) ? entries.slice() : [...entries];
    const keys: string[] = new Array<string>(list.length);
    for (let i = 0; i < list.length; i++) {
      let entry = list[i]!;
      if (!Object.isFrozen(entry)) list[i] = entry = Object.freeze([entry[0], entry[1]] as const);
      keys[i] = entry[0].toLowerCase();
    }
    this.#entries = Object.freeze(list);
    this.#keys = Object.freeze(keys);
    Object.freeze(this);
  }

  /** Number of header lines. */
  get size(): number {
    return this.#entries.length;
  }

  /** Is a field with this name present (case-insensitive)? */
  has(name: string): boolean {
    return this.#keys.includes(name.toLowerCase());
  }

  /**
   * The value of a field; several lines of the same field are joined with
   * `", "` (RFC 7230 §3.2.2). `undefined` when absent.
   */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    const keys = this.#keys;
    let value: string | undefined;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== key) continue;
      const v = this.#entries[i]![1];
      value = value === undefined ? v : `${value}, ${v}`;
    }
    return value;
  }

  /** Every value of a field, one per header line, in order (empty when absent). */
  getAll(name: string): string[] {
    const key = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.#keys.length; i++) if (this.#keys[i] === key) out.push(this.#entries[i]![1]);
    return out;
  }

  /** How many header lines carry this field. */
  count(name: string): number {
    const key = name.toLowerCase();
    let n = 0;
    for (let i = 0; i < this.#keys.length; i++) if (this.#keys[i] === key) n++;
    return n;
  }

  /** `[name, value]` pairs in the order received. */
  entries(): IterableIterator<readonly [string, string]> {
    return this.#entries[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<readonly [string, string]> {
    return this.entries();
  }

  /** A plain object, lower-case names, repeated fields joined with `", "`. */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < this.#keys.length; i++) {
      const key = this.#keys[i]!;
      const v = this.#entries[i]![1];
      // defineProperty: a field named `__proto__` (a valid token) is data, not a prototype.
      if (Object.hasOwn(out, key)) out[key] = `${out[key]}, ${v}`;
      else Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}

/**
 * Extra headers a caller adds to a head we serialize: a list of pairs or an
 * object whose values may be arrays (one line each).
 */
export type HeaderInit =
  | Iterable<readonly [string, string]>
  | Readonly<Record<string, string | readonly string[]>>;

/** A {@link HeaderInit} as `[name, value]` pairs in order (a record's array values become one pair each). */
export function headerEntries(init: HeaderInit | undefined): Array<readonly [string, string]> {
  if (init === undefined) return [];
  if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') return [...(init as Iterable<readonly [string, string]>)];
  const out: Array<readonly [string, string]> = [];
  for (const [name, value] of Object.entries(init as Record<string, string | readonly string[]>)) {
    if (typeof value === 'string') out.push([name, value]);
    else for (const v of value) out.push([name, v]);
  }
  return out;
}

/**
 * Turn {@link HeaderInit} into validated `[name, value]` pairs.
 *
 * @throws UsageError (`FW_ERR_INVALID_ARGUMENT`) when a name is not a token,
 *   a value holds CR, LF or another control character, or a name is in
 *   `forbidden` (lower-case names) because the handshake sets it itself.
 */
export function normalizeHeaders(
  init: HeaderInit | undefined,
  forbidden: ReadonlySet<string>,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (init === undefined) return out;
  const pairs: Array<readonly [string, string]> = [];
  if (isIterable(init)) {
    for (const pair of init) pairs.push(pair);
  } else {
    for (const name of Object.keys(init)) {
      const value = (init as Record<string, string | readonly string[]>)[name];
      if (typeof value === 'string') pairs.push([name, value]);
      else if (value !== undefined) for (const v of value) pairs.push([name, v]);
    }
  }
  for (const [name, value] of pairs) {
    if (typeof name !== 'string' || !isToken(name)) {
      throw new UsageError('FW_ERR_INVALID_ARGUMENT', `Invalid header name: ${JSON.stringify(name)}`);
    }
    if (forbidden.has(name.toLowerCase())) {
      throw new UsageError('FW_ERR_INVALID_ARGUMENT', `The handshake sets the ${name} header itself`);
    }
    if (typeof value !== 'string' || !isValidHeaderValue(value)) {
      throw new UsageError(
        'FW_ERR_INVALID_ARGUMENT',
        `Invalid value for header ${name}: control characters (CR, LF...), non-Latin-1 or surrounding whitespace`,
      );
    }
    out.push([name, value]);
  }
  return out;
}

function isIterable(x: unknown): x is Iterable<readonly [string, string]> {
  return typeof x === 'object' && x !== null && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/**
 * Encode a head (start line and header lines) as bytes. Values are Latin-1
 * (RFC 7230 §3.2.4: obs-text is opaque octets), validated beforehand.
 */
export function encodeHead(startLine: string, headers: Iterable<readonly [string, string]>): Uint8Array {
  let text = startLine + '\r\n';
  // Index the common array case: no iterator and no destructuring per line.
  const list = Array.isArray(headers) ? (headers as ReadonlyArray<readonly [string, string]>) : [...headers];
  for (let i = 0; i < list.length; i++) text += list[i]![0] + ': ' + list[i]![1] + '\r\n';
  text += '\r\n';
  return latin1Bytes(text);
}

/** Latin-1 bytes of a string whose code units are all ≤ 0xFF. */
export function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/** Decode bytes as Latin-1: one character per byte, never fails. */
export function latin1String(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  // Chunked so String.fromCharCode never gets too many arguments.
  for (let i = start; i < end; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 4096)));
  }
  return out;
}
