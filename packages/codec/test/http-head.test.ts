import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeadParser, type RequestHead, type ResponseHead } from '../src/protocol/http-head.js';
import { hasToken, HttpHeaders, splitList } from '../src/protocol/header-tokens.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const REQUEST = 'GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\nX-A: 1\r\nx-a:  2 \r\n\r\n';

function parseRequest(text: string | Uint8Array, limits = {}) {
  return new HeadParser<RequestHead>('request', limits).push(typeof text === 'string' ? enc(text) : text);
}

describe('HeadParser (requests, RFC 7230 §3)', () => {
  it('parses the request line and headers, values trimmed, repeated fields kept', () => {
    const r = parseRequest(REQUEST);
    expect(r.type).toBe('head');
    if (r.type !== 'head') return;
    expect(r.head.method).toBe('GET');
    expect(r.head.target).toBe('/chat?x=1');
    expect(r.head.version).toEqual({ major: 1, minor: 1 });
    expect(r.head.headers.get('HOST')).toBe('example.com');
    expect(r.head.headers.getAll('x-a')).toEqual(['1', '2']);
    expect(r.head.headers.get('X-a')).toBe('1, 2');
    expect(r.head.headers.count('x-a')).toBe(2);
    expect(r.rest.length).toBe(0);
  });

  it('hands back the bytes after the blank line untouched, as a view of the chunk', () => {
    const tail = new Uint8Array([0x81, 0x85, 1, 2, 3, 4, 5]);
    const chunk = new Uint8Array([...enc(REQUEST), ...tail]);
    const r = parseRequest(chunk);
    expect(r.type).toBe('head');
    if (r.type !== 'head') return;
    expect([...r.rest]).toEqual([...tail]);
    expect(r.rest.buffer).toBe(chunk.buffer);
  });

  it('gives the same result one byte at a time', () => {
    const parser = new HeadParser<RequestHead>('request');
    const bytes = enc(REQUEST + 'tail');
    const results = [...bytes].map((b) => parser.push(new Uint8Array([b])));
    const headAt = results.findIndex((r) => r.type === 'head');
    expect(headAt).toBe(REQUEST.length - 1);
    expect(results.slice(0, headAt).every((r) => r.type === 'need-more')).toBe(true);
    const r = results[headAt]!;
    if (r.type !== 'head') throw new Error('expected head');
    expect(r.head.headers.getAll('x-a')).toEqual(['1', '2']);
  });

  it.each([
    ['bare LF line end', 'GET / HTTP/1.1\nHost: a\r\n\r\n', 400],
    ['CR inside a line', 'GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n', 400],
    ['NUL in a value', 'GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n', 400],
    ['DEL in a value', 'GET / HTTP/1.1\r\nHost: a\x7fb\r\n\r\n', 400],
    ['obsolete line folding (RFC 7230 §3.2.4)', 'GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n', 400],
    ['space before the colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', 400],
    ['header name not a token', 'GET / HTTP/1.1\r\nHo(st: a\r\n\r\n', 400],
    ['no colon', 'GET / HTTP/1.1\r\nHost\r\n\r\n', 400],
    ['empty name', 'GET / HTTP/1.1\r\n: a\r\n\r\n', 400],
    ['empty start line', '\r\nGET / HTTP/1.1\r\n\r\n', 400],
    ['two spaces in the request line', 'GET  / HTTP/1.1\r\n\r\n', 400],
    ['missing version', 'GET /\r\n\r\n', 400],
    ['lower-case version', 'GET / http/1.1\r\n\r\n', 400],
    ['method not a token', 'G(T / HTTP/1.1\r\n\r\n', 400],
  ])('refuses %s with %i', (_name, text, status) => {
    const r = parseRequest(text);
    expect(r.type).toBe('error');
    if (r.type === 'error') expect(r.status).toBe(status);
  });

  it('keeps obs-text (0x80-0xFF) in values as Latin-1', () => {
    const bytes = new Uint8Array([...enc('GET / HTTP/1.1\r\nX: '), 0xe9, ...enc('\r\n\r\n')]);
    const r = parseRequest(bytes);
    expect(r.type === 'head' && r.head.headers.get('x')).toBe('\u00e9');
  });

  it('refuses a request line longer than maxStartLineLength with 414, before the line ends', () => {
    const parser = new HeadParser<RequestHead>('request', { maxStartLineLength: 64 });
    expect(parser.push(enc('GET /' + 'a'.repeat(50))).type).toBe('need-more');
    const r = parser.push(enc('a'.repeat(20)));
    expect(r).toMatchObject({ type: 'error', status: 414, tooLarge: true });
  });

  it('accepts a request line of exactly maxStartLineLength, even split before LF', () => {
    const line = 'GET /' + 'a'.repeat(64 - 'GET / HTTP/1.1'.length) + ' HTTP/1.1';
    expect(line.length).toBe(64);
    const parser = new HeadParser<RequestHead>('request', { maxStartLineLength: 64 });
    expect(parser.push(enc(line + '\r')).type).toBe('need-more');
    expect(parser.push(enc('\nHost: a\r\n\r\n')).type).toBe('head');
  });

  it('refuses more than maxHeaders header lines with 431', () => {
    const ok = 'GET / HTTP/1.1\r\n' + 'X: 1\r\n'.repeat(3) + '\r\n';
    expect(parseRequest(ok, { maxHeaders: 3 }).type).toBe('head');
    const tooMany = 'GET / HTTP/1.1\r\n' + 'X: 1\r\n'.repeat(4) + '\r\n';
    expect(parseRequest(tooMany, { maxHeaders: 3 })).toMatchObject({ type: 'error', status: 431 });
  });

  it('refuses a head over maxHeaderBytes with 431 and never buffers past it', () => {
    const head = 'GET / HTTP/1.1\r\nX: ' + 'v'.repeat(100) + '\r\n\r\n';
    expect(parseRequest(head, { maxHeaderBytes: head.length }).type).toBe('head');
    expect(parseRequest(head, { maxHeaderBytes: head.length - 1 })).toMatchObject({ type: 'error', status: 431 });
    // A line that never ends fails as soon as the limit is crossed.
    const parser = new HeadParser<RequestHead>('request', { maxHeaderBytes: 1024 });
    parser.push(enc('GET / HTTP/1.1\r\nX: '));
    let result = parser.push(enc('y'.repeat(500)));
    expect(result.type).toBe('need-more');
    result = parser.push(enc('y'.repeat(600)));
    expect(result).toMatchObject({ type: 'error', status: 431 });
  });

  it('stays final after an error or a head', () => {
    const parser = new HeadParser<RequestHead>('request');
    const first = parser.push(enc('BAD\r\n\r\n'));
    expect(first.type).toBe('error');
    expect(parser.push(enc('GET / HTTP/1.1\r\n\r\n'))).toBe(first);
    expect(parser.done).toBe(true);
  });

  it('scans each byte once: 16 KiB in 1-byte chunks is fast', () => {
    const head = 'GET / HTTP/1.1\r\n' + `X: ${'z'.repeat(16_000)}\r\n` + '\r\n';
    const bytes = enc(head);
    const parser = new HeadParser<RequestHead>('request', { maxHeaderBytes: 32 * 1024 });
    const start = performance.now();
    let result;
    for (let i = 0; i < bytes.length; i++) result = parser.push(bytes.subarray(i, i + 1));
    const elapsed = performance.now() - start;
    expect(result?.type).toBe('head');
    expect(elapsed).toBeLessThan(1000);
  });
});

describe('HeadParser (responses, RFC 7230 §3.1.2)', () => {
  const parse = (text: string) => new HeadParser<ResponseHead>('response').push(enc(text));

  it('parses the status line', () => {
    const r = parse('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
    expect(r.type === 'head' && [r.head.status, r.head.statusText, r.head.headers.get('upgrade')]).toEqual([
      101,
      'Switching Protocols',
      'websocket',
    ]);
  });

  it('tolerates an empty reason phrase with or without its space', () => {
    for (const line of ['HTTP/1.1 401 ', 'HTTP/1.1 401']) {
      const r = parse(line + '\r\n\r\n');
      expect(r.type === 'head' && [r.head.status, r.head.statusText]).toEqual([401, '']);
    }
  });

  it.each(['HTTP/1.1 20 OK', 'HTTP/1.1 2000 OK', 'HTTP/1.1OK', 'ICY 200 OK', 'HTTP/11 200 OK'])(
    'refuses the status line %j',
    (line) => {
      expect(parse(line + '\r\n\r\n').type).toBe('error');
    },
  );

  it('refuses a long status line with a limit error', () => {
    const r = new HeadParser<ResponseHead>('response', { maxStartLineLength: 20 }).push(
      enc('HTTP/1.1 200 ' + 'O'.repeat(30)),
    );
    expect(r).toMatchObject({ type: 'error', tooLarge: true });
  });
});

describe('header token lists (RFC 7230 §7)', () => {
  it('splits comma lists across lines, trimming and dropping empty elements', () => {
    expect(splitList(['a, b ,,\tc', '', ' d'])).toEqual(['a', 'b', 'c', 'd']);
  });

  it('matches tokens case-insensitively inside lists', () => {
    expect(hasToken(['keep-alive, UPGRADE'], 'upgrade')).toBe(true);
    expect(hasToken(['keep-alive', 'Upgrade'], 'upgrade')).toBe(true);
    expect(hasToken(['upgrades'], 'upgrade')).toBe(false);
    expect(hasToken([], 'upgrade')).toBe(false);
  });

  it('hasToken agrees with splitting the list and comparing lower-cased elements (property)', () => {
    const piece = fc.constantFrom('upgrade', 'Upgrade', 'UPGRADE', 'upgrades', 'keep-alive', 'websocket', ' ', '\t', ',', ', ', '');
    const value = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 4 }), fc.constantFrom('upgrade', 'websocket', 'Upgrade'), (values, token) => {
        const expected = splitList(values).some((element) => element.toLowerCase() === token.toLowerCase());
        expect(hasToken(values, token)).toBe(expected);
      }),
      { seed: 0x7e57, numRuns: 2000 },
    );
  });

  it('HttpHeaders keeps frozen pairs as they are and copies the others', () => {
    const frozen = Object.freeze(['Host', 'a'] as const);
    const open: [string, string] = ['X-Open', 'b'];
    const h = new HttpHeaders([frozen, open]);
    const [first, second] = [...h];
    expect(first).toBe(frozen);
    expect(second).not.toBe(open);
    expect(Object.isFrozen(second)).toBe(true);
    open[1] = 'changed';
    expect(h.get('x-open')).toBe('b');
  });

  it('HttpHeaders keeps order and original names', () => {
    const h = new HttpHeaders([
      ['Set-Cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
    expect([...h]).toEqual([
      ['Set-Cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
    expect(h.toObject()).toEqual({ 'set-cookie': 'a=1, b=2' });
    expect(h.has('SET-COOKIE')).toBe(true);
    expect(h.get('missing')).toBeUndefined();
    expect(Object.isFrozen(h)).toBe(true);
    expect(h.count('set-cookie')).toBe(2);
    expect(h.getAll('SET-COOKIE')).toEqual(['a=1', 'b=2']);
    expect(h.get('Set-Cookie')).toBe('a=1, b=2');
  });

  it('HttpHeaders.toObject keeps a field named __proto__ as data', () => {
    const object = new HttpHeaders([['__proto__', 'x']]).toObject();
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(Object.keys(object)).toEqual(['__proto__']);
    expect(object['__proto__' as keyof typeof object]).toBe('x');
  });
});

