import { describe, expect, it } from 'vitest';
import { computeAcceptKey, generateKey, isValidKey, WEBSOCKET_GUID } from '../src/protocol/accept-key.js';
import { UsageError } from '../src/protocol/errors.js';
import {
  acceptUpgrade,
  getQueryParam,
  originAllowed,
  rejectUpgrade,
  ServerHandshake,
  type ServerHandshakeResult,
  type UpgradeRequest,
} from '../src/protocol/handshake-server.js';
import { HeadParser, type RequestHead, type ResponseHead } from '../src/protocol/http-head.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

// RFC 6455 §1.3 / §4.2.2: the sample nonce and its accept value.
const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

const BASE: Array<[string, string]> = [
  ['Host', 'server.example.com'],
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Key', RFC_KEY],
  ['Sec-WebSocket-Version', '13'],
];

function requestText(opts: { line?: string; headers?: Array<[string, string]>; drop?: string[] } = {}): string {
  const drop = new Set((opts.drop ?? []).map((n) => n.toLowerCase()));
  const lines = [...BASE.filter(([n]) => !drop.has(n.toLowerCase())), ...(opts.headers ?? [])];
  return `${opts.line ?? 'GET /chat HTTP/1.1'}\r\n${lines.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
}

function serve(text: string | Uint8Array): ServerHandshakeResult {
  return new ServerHandshake().receive(typeof text === 'string' ? enc(text) : text);
}

function requestOf(text: string): UpgradeRequest {
  const r = serve(text);
  if (r.type !== 'request') throw new Error(`expected a request, got ${r.type}: ${r.type === 'reject' ? r.reason : ''}`);
  return r.request;
}

function parseResponse(bytes: Uint8Array): { head: ResponseHead; body: string } {
  const r = new HeadParser<ResponseHead>('response').push(bytes);
  if (r.type !== 'head') throw new Error(`unparseable response: ${dec(bytes)}`);
  return { head: r.head, body: dec(r.rest) };
}

describe('Sec-WebSocket-Accept (RFC 6455 §4.2.2)', () => {
  it("computes the RFC's own example", () => {
    expect(computeAcceptKey(RFC_KEY)).toBe(RFC_ACCEPT);
    expect(WEBSOCKET_GUID).toBe('258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
  });

  it('validates keys as base64 of exactly 16 bytes', () => {
    expect(isValidKey(RFC_KEY)).toBe(true);
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZQ')).toBe(false); // no padding
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZSE=')).toBe(false); // 17 bytes
    expect(isValidKey('dGhlIHNhbXBsZSBub25j')).toBe(false); // 15 bytes
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZ!==')).toBe(false);
    expect(isValidKey('')).toBe(false);
  });

  it('generates keys from the injected random source', () => {
    const key = generateKey((bytes) => bytes.fill(7));
    expect(isValidKey(key)).toBe(true);
    expect(key).toBe('BwcHBwcHBwcHBwcHBwcHBw==');
    expect(generateKey()).not.toBe(generateKey());
  });
});

describe('ServerHandshake: a valid request (RFC 6455 §4.2.1)', () => {
  it('returns a frozen UpgradeRequest with every field', () => {
    const r = serve(
      requestText({
        line: 'GET /chat/room?name=a%20b&x=1&x=2&flag&plus=c+d HTTP/1.1',
        headers: [
          ['Origin', 'http://example.com'],
          ['Sec-WebSocket-Protocol', 'chat, superchat'],
          ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits'],
        ],
      }),
    );
    expect(r.type).toBe('request');
    if (r.type !== 'request') return;
    const q = r.request;
    expect(Object.isFrozen(q)).toBe(true);
    expect(q.method).toBe('GET');
    expect(q.target).toBe('/chat/room?name=a%20b&x=1&x=2&flag&plus=c+d');
    expect(q.path).toBe('/chat/room');
    expect(q.query).toBe('name=a%20b&x=1&x=2&flag&plus=c+d');
    expect(getQueryParam(q, 'name')).toBe('a b');
    expect(getQueryParam(q, 'x')).toBe('1');
    expect(getQueryParam(q, 'flag')).toBe('');
    expect(getQueryParam(q, 'plus')).toBe('c d');
    expect(getQueryParam(q, 'nope')).toBeUndefined();
    expect(q.queryParams.filter(([k]) => k === 'x').map(([, v]) => v)).toEqual(['1', '2']);
    expect(q.host).toBe('server.example.com');
    expect(q.origin).toBe('http://example.com');
    expect(q.key).toBe(RFC_KEY);
    expect(q.protocols).toEqual(['chat', 'superchat']);
    expect(q.extensions).toEqual([{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] }]);
    expect(q.headers.get('sec-websocket-version')).toBe('13');
  });

  it('matches Upgrade and Connection case-insensitively inside comma lists', () => {
    const r = serve(
      requestText({
        drop: ['Upgrade', 'Connection'],
        headers: [
          ['upgrade', 'h2c, WebSocket'],
          ['CONNECTION', 'keep-alive'],
          ['connection', 'UPGRADE'],
        ],
      }),
    );
    expect(r.type).toBe('request');
  });

  it('accepts HTTP/1.2, an absolute-form target and a malformed query escape', () => {
    expect(serve(requestText({ line: 'GET /x HTTP/1.2' })).type).toBe('request');
    const q = requestOf(requestText({ line: 'GET ws://server.example.com?a=%zz HTTP/1.1' }));
    expect([q.path, getQueryParam(q, 'a')]).toEqual(['/', '%zz']);
  });

  it('hands back frame bytes sent in the same packet', () => {
    const frame = [0x81, 0x82, 1, 2, 3, 4, 0x49, 0x6b];
    const r = serve(new Uint8Array([...enc(requestText()), ...frame]));
    expect(r.type === 'request' && [...r.rest]).toEqual(frame);
  });

  it('returns need-more until the head is complete, then refuses further input', () => {
    const hs = new ServerHandshake();
    const text = enc(requestText());
    expect(hs.receive(text.subarray(0, 40)).type).toBe('need-more');
    expect(hs.done).toBe(false);
    expect(hs.receive(text.subarray(40)).type).toBe('request');
    expect(hs.done).toBe(true);
    expect(() => hs.receive(enc('x'))).toThrow(UsageError);
  });

  it('answers 400 to an EOF before the end of the head', () => {
    const hs = new ServerHandshake();
    hs.receive(enc('GET / HTTP/1.1\r\n'));
    expect(hs.receiveEof()).toMatchObject({ type: 'reject', status: 400 });
  });
});

describe('ServerHandshake: rejections', () => {
  it.each([
    ['POST', requestText({ line: 'POST /chat HTTP/1.1' }), 405],
    ['HTTP/1.0', requestText({ line: 'GET /chat HTTP/1.0' }), 400],
    ['a missing Host', requestText({ drop: ['Host'] }), 400],
    ['a duplicate Host', requestText({ headers: [['Host', 'b']] }), 400],
    ['an empty Host', requestText({ drop: ['Host'], headers: [['Host', '']] }), 400],
    ['a missing Upgrade', requestText({ drop: ['Upgrade'] }), 400],
    ['Upgrade: h2c', requestText({ drop: ['Upgrade'], headers: [['Upgrade', 'h2c']] }), 400],
    ['a missing Connection', requestText({ drop: ['Connection'] }), 400],
    ['Connection: keep-alive', requestText({ drop: ['Connection'], headers: [['Connection', 'keep-alive']] }), 400],
    ['a missing key', requestText({ drop: ['Sec-WebSocket-Key'] }), 400],
    ['a short key', requestText({ drop: ['Sec-WebSocket-Key'], headers: [['Sec-WebSocket-Key', 'AAAA']] }), 400],
    ['a duplicate key', requestText({ headers: [['Sec-WebSocket-Key', RFC_KEY]] }), 400],
    ['a duplicate version', requestText({ headers: [['Sec-WebSocket-Version', '13']] }), 400],
    ['a duplicate Origin', requestText({ headers: [['Origin', 'a'], ['Origin', 'b']] }), 400],
    ['a body (Content-Length)', requestText({ headers: [['Content-Length', '5']] }), 400],
    ['a body (Transfer-Encoding)', requestText({ headers: [['Transfer-Encoding', 'chunked']] }), 400],
    ['a bad subprotocol list', requestText({ headers: [['Sec-WebSocket-Protocol', 'a, a']] }), 400],
    ['a bad extension header', requestText({ headers: [['Sec-WebSocket-Extensions', 'foo; =1']] }), 400],
    ['a fragment in the target', requestText({ line: 'GET /chat#x HTTP/1.1' }), 400],
    ['an asterisk target', requestText({ line: 'GET * HTTP/1.1' }), 400],
    ['obsolete line folding', requestText({ headers: [['X-A', 'a\r\n b']] }), 400],
    ['a header over the byte limit', requestText({ headers: [['X-Big', 'x'.repeat(17_000)]] }), 431],
    ['a request line over the limit', requestText({ line: `GET /${'a'.repeat(9000)} HTTP/1.1` }), 414],
  ])('refuses %s with %i', (_what, text, status) => {
    const r = serve(text);
    expect(r.type).toBe('reject');
    if (r.type !== 'reject') return;
    expect(r.status).toBe(status);
    expect(r.reason.length).toBeGreaterThan(0);
    const { head, body } = parseResponse(r.response);
    expect(head.status).toBe(status);
    expect(head.headers.get('connection')).toBe('close');
    expect(Number(head.headers.get('content-length'))).toBe(enc(body).length);
    expect(body).toBe(r.reason);
    if (status === 405) expect(head.headers.get('allow')).toBe('GET');
  });

  it.each([
    ['missing', requestText({ drop: ['Sec-WebSocket-Version'] })],
    ['8', requestText({ drop: ['Sec-WebSocket-Version'], headers: [['Sec-WebSocket-Version', '8']] })],
  ])('answers 426 with Sec-WebSocket-Version: 13 when the version is %s (RFC 6455 §4.4)', (_v, text) => {
    const r = serve(text);
    expect(r.type === 'reject' && r.status).toBe(426);
    if (r.type !== 'reject') return;
    expect(parseResponse(r.response).head.headers.get('sec-websocket-version')).toBe('13');
  });

  it('honours configured limits', () => {
    const hs = new ServerHandshake({ maxHeaders: 5 });
    expect(hs.receive(enc(requestText({ headers: [['X', '1']] })))).toMatchObject({ type: 'reject', status: 431 });
    expect(new ServerHandshake({ maxHeaderBytes: 100 }).receive(enc(requestText()))).toMatchObject({ status: 431 });
    expect(new ServerHandshake({ maxStartLineLength: 10 }).receive(enc(requestText()))).toMatchObject({ status: 414 });
  });
});

describe('acceptUpgrade (RFC 6455 §4.2.2 item 5)', () => {
  const offered = requestOf(
    requestText({
      headers: [
        ['Sec-WebSocket-Protocol', 'chat, superchat'],
        ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits, x-other'],
      ],
    }),
  );

  it('writes the 101 with the accept value of the RFC example', () => {
    const text = dec(acceptUpgrade(requestOf(requestText())));
    expect(text).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${RFC_ACCEPT}\r\n\r\n`,
    );
  });

  it('adds the chosen subprotocol, negotiated extensions and extra headers', () => {
    const { head } = parseResponse(
      acceptUpgrade(offered, {
        protocol: 'superchat',
        extensions: [{ name: 'permessage-deflate', params: [['client_max_window_bits', '15']] }],
        headers: { 'Set-Cookie': ['a=1', 'b=2'], 'X-Server': 'fw' },
      }),
    );
    expect(head.status).toBe(101);
    expect(head.headers.get('sec-websocket-protocol')).toBe('superchat');
    expect(head.headers.get('sec-websocket-extensions')).toBe('permessage-deflate; client_max_window_bits=15');
    expect(head.headers.getAll('set-cookie')).toEqual(['a=1', 'b=2']);
    expect(head.headers.get('x-server')).toBe('fw');
  });

  it('takes an already-negotiated extension header value as is', () => {
    const { head } = parseResponse(acceptUpgrade(offered, { extensions: 'permessage-deflate;client_max_window_bits=10' }));
    expect(head.headers.get('sec-websocket-extensions')).toBe('permessage-deflate;client_max_window_bits=10');
  });

  it('omits the extension header for an empty list', () => {
    const { head } = parseResponse(acceptUpgrade(offered, { extensions: [] }));
    expect(head.headers.has('sec-websocket-extensions')).toBe(false);
  });

  it.each([
    ['a subprotocol that was not offered', { protocol: 'other' }],
    ['an extension that was not offered', { extensions: [{ name: 'x-new', params: [] }] }],
    ['a malformed extension header value', { extensions: 'permessage-deflate; =' }],
    ['an extension header value with CRLF', { extensions: 'x-other\r\nX-Evil: 1' }],
    ['a header value with CR/LF', { headers: [['X-A', 'a\r\nX-Evil: 1']] as Array<[string, string]> }],
    ['a header name that is not a token', { headers: [['X A', '1']] as Array<[string, string]> }],
    ['a reserved header', { headers: { 'Sec-WebSocket-Accept': 'x' } }],
    ['a Content-Length header', { headers: { 'content-length': '0' } }],
  ])('refuses %s with a UsageError', (_what, options) => {
    expect(() => acceptUpgrade(offered, options)).toThrow(UsageError);
  });
});

describe('rejectUpgrade', () => {
  it('writes any status with headers, a body and Content-Length', () => {
    const bytes = rejectUpgrade(401, { headers: [['WWW-Authenticate', 'Bearer']], body: 'no token ✗' });
    const { head, body } = parseResponse(bytes);
    expect([head.status, head.statusText]).toEqual([401, 'Unauthorized']);
    expect(head.headers.get('www-authenticate')).toBe('Bearer');
    expect(head.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(Number(head.headers.get('content-length'))).toBe(enc('no token ✗').length);
    expect(body).toBe('no token ✗');
  });

  it('lets the caller set Content-Type and the reason phrase', () => {
    const { head, body } = parseResponse(
      rejectUpgrade(302, { headers: { Location: '/login', 'Content-Type': 'text/html' }, reason: 'Found', body: new Uint8Array() }),
    );
    expect([head.status, head.statusText, head.headers.get('content-type'), head.headers.get('location'), body]).toEqual([
      302,
      'Found',
      'text/html',
      '/login',
      '',
    ]);
  });

  it('refuses bad statuses, reasons and headers', () => {
    expect(() => rejectUpgrade(101)).toThrow(UsageError);
    expect(() => rejectUpgrade(99)).toThrow(UsageError);
    expect(() => rejectUpgrade(400.5)).toThrow(UsageError);
    expect(() => rejectUpgrade(400, { reason: 'a\r\nb' })).toThrow(UsageError);
    expect(() => rejectUpgrade(400, { headers: { Connection: 'keep-alive' } })).toThrow(UsageError);
    expect(() => rejectUpgrade(400, { headers: { 'X-A': 'a\nb' } })).toThrow(UsageError);
  });
});

describe('originAllowed', () => {
  const withOrigin = (origin?: string) => ({ origin });

  it('matches strings exactly (ASCII case-insensitive), RegExps and functions', () => {
    expect(originAllowed(withOrigin('https://App.example'), ['https://app.example'])).toBe(true);
    expect(originAllowed(withOrigin('https://app.example.evil'), ['https://app.example'])).toBe(false);
    const re = /^https:\/\/[a-z]+\.example$/g;
    expect(originAllowed(withOrigin('https://a.example'), [re])).toBe(true);
    expect(originAllowed(withOrigin('https://a.example'), [re])).toBe(true); // /g state reset
    expect(originAllowed(withOrigin('https://a.example'), (o) => o.endsWith('.example'))).toBe(true);
    expect(originAllowed(withOrigin('null'), ['https://a.example'])).toBe(false);
  });

  it('refuses a missing Origin unless allowMissing', () => {
    expect(originAllowed(withOrigin(), ['https://a.example'])).toBe(false);
    expect(originAllowed(withOrigin(), ['https://a.example'], { allowMissing: true })).toBe(true);
  });

  it('works on a parsed request', () => {
    const q = requestOf(requestText({ headers: [['Origin', 'https://a.example']] }));
    expect(originAllowed(q, ['https://a.example'])).toBe(true);
  });
});

describe('ServerHandshake.receiveHead: a head another parser read is validated, not parsed again', () => {
  it('gives the same decision as the byte path, with the bytes that followed', () => {
    const good =
      'GET /chat?x=1 HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
    for (const [text, expected] of [
      [good, 'request'],
      [good.replace('GET', 'POST'), 405],
      [good.replace('HTTP/1.1', 'HTTP/1.0'), 400],
      [good.replace('Version: 13', 'Version: 12'), 426],
    ] as const) {
      const bytes = new TextEncoder().encode(text + 'AFTER');
      const parsed = new HeadParser<RequestHead>('request', {}).push(bytes);
      if (parsed.type !== 'head') throw new Error('test head did not parse');
      const viaHead = new ServerHandshake().receiveHead(parsed.head, parsed.rest);
      const viaBytes = new ServerHandshake().receive(bytes);
      const outcome = (r: typeof viaHead) => (r.type === 'request' ? 'request' : r.type === 'reject' ? r.status : r.type);
      expect(outcome(viaHead)).toBe(expected);
      expect(outcome(viaBytes)).toBe(expected);
      if (viaHead.type === 'request' && viaBytes.type === 'request') {
        expect(viaHead.request).toEqual(viaBytes.request);
        expect(new TextDecoder().decode(viaHead.rest)).toBe('AFTER');
      }
    }
  });
});
