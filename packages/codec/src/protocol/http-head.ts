/**
 * An incremental HTTP/1.1 head parser (request or response) with limits.
 *
 * Written by hand on purpose: the codec is I/O-free and isomorphic, and no
 * well-kept library parses an HTTP head incrementally under hard limits
 * without Node's `http`. Bytes arrive in any chunking; each byte is looked at
 * once (no rescans for CRLFCRLF), a header line split across reads waits in a
 * small spill buffer, and the bytes after the blank line are handed back as a
 * view of the last chunk, untouched.
 *
 * @module
 */
import { HttpHeaders, isTokenChar, latin1String } from './header-tokens.js';

/** Size limits for one HTTP head. Every one is on by default. */
export interface HeadLimits {
  /** Most bytes in the whole head, start line and blank line included. Default 16 KiB. */
  maxHeaderBytes?: number | undefined;
  /** Most header lines. Default 100. */
  maxHeaders?: number | undefined;
  /** Most bytes in the request line or status line (without CRLF). Default 8 KiB. */
  maxStartLineLength?: number | undefined;
}

/** The defaults of {@link HeadLimits}. */
export const DEFAULT_HEAD_LIMITS: Readonly<Required<{ [K in keyof HeadLimits]: number }>> = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 100,
  maxStartLineLength: 8 * 1024,
});

/** HTTP version from the start line, e.g. `{ major: 1, minor: 1 }`. */
export interface HttpVersion {
  readonly major: number;
  readonly minor: number;
}

/** A parsed request head (RFC 7230 §3.1.1). */
export interface RequestHead {
  readonly kind: 'request';
  readonly method: string;
  /** The request-target exactly as sent. */
  readonly target: string;
  readonly version: HttpVersion;
  readonly headers: HttpHeaders;
}

/** A parsed response head (RFC 7230 §3.1.2). */
export interface ResponseHead {
  readonly kind: 'response';
  readonly version: HttpVersion;
  readonly status: number;
  readonly statusText: string;
  readonly headers: HttpHeaders;
}

/** Why the head was refused, with the status a server answers. */
export interface HeadError {
  readonly type: 'error';
  /** 400 (syntax), 414 (request line too long) or 431 (header limits). */
  readonly status: 400 | 414 | 431;
  /** True when a limit was exceeded (414/431), false for a syntax error. */
  readonly tooLarge: boolean;
  readonly reason: string;
}

/** What {@link HeadParser.push} returns. */
export type HeadParseResult<H> =
  | { readonly type: 'need-more' }
  | { readonly type: 'head'; readonly head: H; readonly rest: Uint8Array }
  | HeadError;

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = new Uint8Array(0);

/**
 * Parses one HTTP/1.1 head. `push` bytes until it returns `head` (with the
 * bytes after the head in `rest`) or `error`; after either it is finished and
 * further pushes return the same result.
 *
 * Lines must end in CRLF: a bare LF or a CR inside a line is refused (a
 * leniency that lets two parsers disagree about where a head ends is how
 * request smuggling starts). Obsolete line folding is refused (RFC 7230 §3.2.4).
 */
export class HeadParser<H extends RequestHead | ResponseHead> {
  readonly #kind: H['kind'];
  readonly #maxHeaderBytes: number;
  readonly #maxHeaders: number;
  readonly #maxStartLine: number;
  /** Bytes of the head consumed so far. */
  #total = 0;
  /** Spill buffer: the start of a line split across chunks. */
  #spillBuffer: Uint8Array = EMPTY;
  #spillLength = 0;
  #startLine: string | undefined;
  #fields: Array<readonly [string, string]> = [];
  #final: HeadParseResult<H> | undefined;

  constructor(kind: H['kind'], limits: HeadLimits = {}) {
    this.#kind = kind;
    this.#maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_HEAD_LIMITS.maxHeaderBytes;
    this.#maxHeaders = limits.maxHeaders ?? DEFAULT_HEAD_LIMITS.maxHeaders;
    this.#maxStartLine = limits.maxStartLineLength ?? DEFAULT_HEAD_LIMITS.maxStartLineLength;
  }

  /** Has the parser produced its final result? */
  get done(): boolean {
    return this.#final !== undefined;
  }

  /** Feed bytes. The chunk is not modified; `rest` is a view of it. */
  push(chunk: Uint8Array): HeadParseResult<H> {
    if (this.#final !== undefined) return this.#final;
    // Lines are read by index, and the few views taken are of a plain
    // Uint8Array: a Node Buffer's subarray costs a species lookup and more.
    const bytes = chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    while (pos < bytes.length) {
      const lf = bytes.indexOf(LF, pos);
      if (lf === -1) {
        // No line end yet: spill the piece, but never beyond the limits
        // (a trailing CR may still belong to the CRLF, hence the -1).
        const size = this.#spillLength + (bytes.length - pos);
        const limit = this.#checkLimits(size - 1, bytes.length - pos);
        if (limit !== undefined) return this.#finish(limit);
        this.#spill(bytes.subarray(pos));
        this.#total += bytes.length - pos;
        return NEED_MORE;
      }
      const lineEnd = lf + 1;
      const pieceLength = lineEnd - pos;
      const limit = this.#checkLimits(this.#spillLength + pieceLength - 2, pieceLength);
      if (limit !== undefined) return this.#finish(limit);
      this.#total += pieceLength;
      let line = bytes;
      let from = pos;
      let to = lineEnd;
      if (this.#spillLength > 0) {
        this.#spill(bytes.subarray(pos, lineEnd));
        line = this.#spillBuffer;
        from = 0;
        to = this.#spillLength;
        this.#spillLength = 0;
      }
      pos = lineEnd;
      const result = this.#line(line, from, to);
      if (result === 'end') {
        const head = this.#build();
        if (head.type === 'error') return this.#finish(head);
        this.#spillBuffer = EMPTY;
        this.#final = { type: 'head', head: head.head, rest: EMPTY };
        // `rest` is what follows the blank line in this chunk, untouched.
        return { type: 'head', head: head.head, rest: chunk.subarray(pos) };
      }
      if (result !== undefined) return this.#finish(result);
    }
    return NEED_MORE;
  }

  #finish(error: HeadError): HeadError {
    this.#final = error;
    this.#spillBuffer = EMPTY;
    this.#spillLength = 0;
    this.#fields = [];
    return error;
  }

  /** Append to the spill buffer, doubling its capacity (amortised linear). */
  #spill(bytes: Uint8Array): void {
    const needed = this.#spillLength + bytes.length;
    if (needed > this.#spillBuffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#spillBuffer.length * 2, 256));
      grown.set(this.#spillBuffer.subarray(0, this.#spillLength));
      this.#spillBuffer = grown;
    }
    this.#spillBuffer.set(bytes, this.#spillLength);
    this.#spillLength = needed;
  }

  /**
   * Limits for the line being received: `lineLength` bytes without its line
   * end so far, `added` new bytes of the head.
   */
  #checkLimits(lineLength: number, added: number): HeadError | undefined {
    if (this.#startLine === undefined && lineLength > this.#maxStartLine) {
      return this.#kind === 'request'
        ? fail(414, true, 'Request line too long')
        : fail(431, true, 'Status line too long');
    }
    return this.#total + added > this.#maxHeaderBytes ? fail(431, true, 'Header block too large') : undefined;
  }

  /** One complete line, `line[from, to)`, CRLF included. */
  #line(line: Uint8Array, from: number, to: number): HeadError | 'end' | undefined {
    const end = to - 2;
    if (end < from || line[end] !== CR) return fail(400, false, 'Line not terminated by CRLF');
    let bits = 0;
    for (let i = from; i < end; i++) {
      const c = line[i]!;
      bits |= c;
      // RFC 7230 §3.2: no CR, LF, NUL or other controls except HTAB in a line.
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) return fail(400, false, 'Control character in head');
    }
    const ascii = bits < 0x80;
    if (this.#startLine === undefined) {
      if (end === from) return fail(400, false, 'Empty start line');
      this.#startLine = bytesToLatin1(line, from, end, ascii);
      return undefined;
    }
    if (end === from) return 'end';
    const first = line[from]!;
    // RFC 7230 §3.2.4: obs-fold must be rejected with 400 in a request.
    if (first === 0x20 || first === 0x09) return fail(400, false, 'Obsolete line folding');
    let colon = from;
    while (colon < end && isTokenChar(line[colon]!)) colon++;
    if (colon === from || colon >= end || line[colon] !== 0x3a) {
      // RFC 7230 §3.2.4: no whitespace between field name and colon.
      return fail(400, false, 'Malformed header line');
    }
    if (this.#fields.length >= this.#maxHeaders) return fail(431, true, 'Too many headers');
    let vStart = colon + 1;
    let vEnd = end;
    while (vStart < vEnd && (line[vStart] === 0x20 || line[vStart] === 0x09)) vStart++;
    while (vEnd > vStart && (line[vEnd - 1] === 0x20 || line[vEnd - 1] === 0x09)) vEnd--;
    // One string per line; name and value are slices of it.
    const text = bytesToLatin1(line, from, vEnd, ascii);
    this.#fields.push(Object.freeze([text.slice(0, colon - from), text.slice(vStart - from)] as const));
    return undefined;
  }

  #build(): { type: 'head'; head: H } | HeadError {
    const startLine = this.#startLine!;
    const headers = new HttpHeaders(this.#fields);
    this.#fields = [];
    if (this.#kind === 'request') {
      // RFC 7230 §3.1.1: method SP request-target SP HTTP-version
      const parts = startLine.split(' ');
      if (parts.length !== 3) return fail(400, false, 'Malformed request line');
      const [method, target, versionText] = parts as [string, string, string];
      if (method.length === 0 || !isToken(method)) {
        return fail(400, false, 'Malformed request method');
      }
      if (target.length === 0 || !/^[\x21-\x7e]+$/.test(target)) return fail(400, false, 'Malformed request target');
      const version = parseVersion(versionText);
      if (version === undefined) return fail(400, false, 'Malformed HTTP version');
      const head: RequestHead = Object.freeze({ kind: 'request', method, target, version, headers });
      return { type: 'head', head: head as H };
    }
    // RFC 7230 §3.1.2: HTTP-version SP status-code SP reason-phrase. A missing
    // SP before an empty reason is tolerated: some servers omit it.
    const match = /^(HTTP\/\d\.\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/.exec(startLine);
    if (match === null) return fail(400, false, 'Malformed status line');
    const version = parseVersion(match[1]!)!;
    const head: ResponseHead = Object.freeze({
      kind: 'response',
      version,
      status: Number(match[2]),
      statusText: match[3] ?? '',
      headers,
    });
    return { type: 'head', head: head as H };
  }
}

const NEED_MORE = Object.freeze({ type: 'need-more' as const });

/** Decodes ASCII lines: it allocates only the string. */
const asciiDecoder = new TextDecoder();

/**
 * Bytes as a Latin-1 string (RFC 7230 §3.2.4: field values are octets).
 * `ascii` lines, nearly all, go through a `TextDecoder` (UTF-8 and Latin-1
 * agree below 0x80), which allocates nothing but the string; spreading a
 * view into `String.fromCharCode` allocated an iterator and an argument list
 * several times the line's size on every header line.
 */
function bytesToLatin1(bytes: Uint8Array, start: number, end: number, ascii: boolean): string {
  if (ascii) return asciiDecoder.decode(bytes.subarray(start, end));
  return latin1String(bytes, start, end);
}

/** Every character a token character (RFC 7230 §3.2.6)? */
function isToken(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isTokenChar(text.charCodeAt(i))) return false;
  return true;
}

function fail(status: 400 | 414 | 431, tooLarge: boolean, reason: string): HeadError {
  return Object.freeze({ type: 'error', status, tooLarge, reason });
}

function parseVersion(text: string): HttpVersion | undefined {
  // RFC 7230 §2.6: HTTP-version = "HTTP/" DIGIT "." DIGIT (case-sensitive).
  const match = /^HTTP\/(\d)\.(\d)$/.exec(text);
  if (match === null) return undefined;
  return Object.freeze({ major: Number(match[1]), minor: Number(match[2]) });
}
