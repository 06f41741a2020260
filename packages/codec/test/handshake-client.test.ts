import { describe, expect, it } from 'vitest';
import { computeAcceptKey } from '../src/protocol/accept-key.js';
import { UsageError } from '../src/protocol/errors.js';
import { ClientHandshake, parseWebSocketUrl, type ClientHandshakeOptions } from '../src/protocol/handshake-client.js';
import { HandshakeError } from '../src/protocol/handshake-error.js';
import { HeadParser, type RequestHead } from '../src/protocol/http-head.js';
import { ServerHandshake } from '../src/protocol/handshake-server.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const fixedRandom = (bytes: Uint8Array): void => {
  bytes.fill(7);
};

function client(options: Partial<ClientHandshakeOptions> = {}): ClientHandshake {
  return new ClientHandshake({ url: 'ws://example.com/chat', random: fixedRandom, ...options });
}

function parseRequest(bytes: Uint8Array): RequestHead {
  const r = new HeadParser<RequestHead>('request').push(bytes);
  if (r.type !== 'head') throw new Error('unparseable request');
  return r.head;
}

function response(hs: ClientHandshake, extra: string[] = [], opts: { status?: string; accept?: string } = {}): string {
  const lines = [
    opts.status ?? 'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${opts.accept ?? computeAcceptKey(hs.key)}`,
    ...extra,
  ];
  return lines.join('\r\n') + '\r\n\r\n';
}

describe('parseWebSocketUrl (RFC 6455 §3)', () => {
  it.each([
    ['ws://example.com', { secure: false, host: 'example.com', port: 80, resource: '/' }],
    ['wss://Example.COM/a/b?c=d&e', { secure: true, host: 'example.com', port: 443, resource: '/a/b?c=d&e' }],
    ['ws://example.com:8080?x=1', { secure: false, host: 'example.com', port: 8080, resource: '/?x=1' }],
    ['http://127.0.0.1:3000/p', { secure: false, host: '127.0.0.1', port: 3000, resource: '/p' }],
    ['HTTPS://h/', { secure: true, host: 'h', port: 443, resource: '/' }],
    ['ws://[::1]:9000/x', { secure: false, host: '::1', port: 9000, resource: '/x' }],
    ['wss://[2001:DB8::1]', { secure: true, host: '2001:db8::1', port: 443, resource: '/' }],
    ['ws://h:/p', { secure: false, host: 'h', port: 80, resource: '/p' }],
    ['ws://h/a b/é', { secure: false, host: 'h', port: 80, resource: '/a%20b/%C3%A9' }],
  ])('parses %s', (url, expected) => {
    expect(parseWebSocketUrl(url)).toEqual(expected);
  });

  it.each([
    'ws://example.com/#frag',
    'ws://example.com#',
    'ftp://example.com/',
    'example.com/chat',
    'ws:/example.com',
    'ws://',
    'ws://user:pw@example.com/',
    'ws://h:0/',
    'ws://h:65536/',
    'ws://h:12a/',
    'ws://[::1/',
    'ws://[::1]x/',
    'ws://[zz]/',
    'ws://exa mple.com/',
  ])('refuses %s with a UsageError', (url) => {
    expect(() => parseWebSocketUrl(url)).toThrow(UsageError);
  });
});

describe('ClientHandshake: the request (RFC 6455 §4.1)', () => {
  it('builds a request our server accepts, with the key from the random source', () => {
    const hs = client({ url: 'ws://example.com:8080/chat?room=1' });
    expect(hs.key).toBe('BwcHBwcHBwcHBwcHBwcHBw==');
    const head = parseRequest(hs.request);
    expect([head.method, head.target, head.version]).toEqual(['GET', '/chat?room=1', { major: 1, minor: 1 }]);
    expect(head.headers.get('host')).toBe('example.com:8080');
    expect(head.headers.get('upgrade')).toBe('websocket');
    expect(head.headers.get('connection')).toBe('Upgrade');
    expect(head.headers.get('sec-websocket-key')).toBe(hs.key);
    expect(head.headers.get('sec-websocket-version')).toBe('13');
    expect(head.headers.has('origin')).toBe(false);
    const served = new ServerHandshake().receive(hs.request);
    expect(served.type).toBe('request');
  });

  it('leaves out the default port and brackets IPv6 hosts', () => {
    expect(parseRequest(client({ url: 'wss://example.com:443/' }).request).headers.get('host')).toBe('example.com');
    expect(parseRequest(client({ url: 'ws://[::1]:8080/' }).request).headers.get('host')).toBe('[::1]:8080');
    expect(parseRequest(client({ url: 'ws://[::1]/' }).request).headers.get('host')).toBe('[::1]');
  });

  it('accepts a target instead of a URL', () => {
    const hs = client({ url: undefined, target: { secure: true, host: 'h', port: 8443, resource: '/x' } });
    expect(parseRequest(hs.request).headers.get('host')).toBe('h:8443');
    expect(() => client({ target: { secure: true, host: 'h', port: 1, resource: '/x' } })).toThrow(UsageError);
    expect(() => client({ url: undefined })).toThrow(UsageError);
  });

  it('sends origin, subprotocols, extension offers and user headers', () => {
    const hs = client({
      origin: 'https://app.example',
      protocols: ['chat', 'superchat'],
      extensions: [{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] }],
      headers: { Authorization: 'Bearer t', Cookie: ['a=1', 'b=2'] },
    });
    const { headers } = parseRequest(hs.request);
    expect(headers.get('origin')).toBe('https://app.example');
    expect(headers.get('sec-websocket-protocol')).toBe('chat, superchat');
    expect(headers.get('sec-websocket-extensions')).toBe('permessage-deflate; client_max_window_bits');
    expect(headers.get('authorization')).toBe('Bearer t');
    expect(headers.getAll('cookie')).toEqual(['a=1', 'b=2']);
    expect(client({ extensions: 'permessage-deflate; client_max_window_bits' }).extensions).toEqual([
      { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
    ]);
  });

  it.each([
    'Host',
    'upgrade',
    'Connection',
    'Sec-WebSocket-Key',
    'sec-websocket-version',
    'Sec-WebSocket-Accept',
    'Sec-WebSocket-Extensions',
    'Sec-WebSocket-Protocol',
  ])('refuses a user %s header', (name) => {
    expect(() => client({ headers: { [name]: 'x' } })).toThrow(UsageError);
  });

  it('refuses CR/LF and bad names, protocols, offers and origins', () => {
    expect(() => client({ headers: { 'X-A': 'a\r\nHost: evil' } })).toThrow(UsageError);
    expect(() => client({ headers: [['X A', '1']] })).toThrow(UsageError);
    expect(() => client({ protocols: ['a b'] })).toThrow(UsageError);
    expect(() => client({ protocols: ['a', 'a'] })).toThrow(UsageError);
    expect(() => client({ extensions: 'x; =' })).toThrow(UsageError);
    expect(() => client({ origin: 'a\nb' })).toThrow(UsageError);
    expect(() => client({ origin: 'a', headers: { Origin: 'b' } })).toThrow(UsageError);
  });
});

describe('ClientHandshake: the response', () => {
  it('accepts a valid 101 and hands back the bytes after it', () => {
    const hs = client({ protocols: ['chat'], extensions: 'permessage-deflate' });
    const frame = [0x81, 0x02, 0x68, 0x69];
    const bytes = new Uint8Array([
      ...enc(response(hs, ['Sec-WebSocket-Protocol: chat', 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover'])),
      ...frame,
    ]);
    const r = hs.receive(bytes);
    expect(r.type).toBe('accepted');
    if (r.type !== 'accepted') return;
    expect(r.response.protocol).toBe('chat');
    expect(r.response.extensions).toEqual([{ name: 'permessage-deflate', params: [['server_no_context_takeover', true]] }]);
    expect(r.response.extensionsHeader).toBe('permessage-deflate; server_no_context_takeover');
    expect([...r.rest]).toEqual(frame);
    expect(() => hs.receive(enc('x'))).toThrow(UsageError);
  });

  it('matches Upgrade/Connection case-insensitively in lists and allows no subprotocol', () => {
    const hs = client({ protocols: ['chat'] });
    const text = response(hs).replace('Upgrade: websocket', 'upgrade: WebSocket').replace('Connection: Upgrade', 'connection: keep-alive, upgrade');
    const r = hs.receive(enc(text));
    expect(r.type === 'accepted' && r.response.protocol).toBe(undefined);
  });

  it.each([
    ['a wrong accept value', (hs: ClientHandshake) => response(hs, [], { accept: computeAcceptKey('AAAAAAAAAAAAAAAAAAAAAA==') }), 'FW_ERR_HANDSHAKE_ACCEPT'],
    ['a missing accept value', (hs: ClientHandshake) => response(hs).replace(/Sec-WebSocket-Accept: .*\r\n/, ''), 'FW_ERR_HANDSHAKE_ACCEPT'],
    ['two accept values', (hs: ClientHandshake) => response(hs, [`Sec-WebSocket-Accept: ${computeAcceptKey(hs.key)}`]), 'FW_ERR_HANDSHAKE_ACCEPT'],
    ['a missing Upgrade', (hs: ClientHandshake) => response(hs).replace('Upgrade: websocket\r\n', ''), 'FW_ERR_HANDSHAKE_UPGRADE'],
    ['a wrong Connection', (hs: ClientHandshake) => response(hs).replace('Connection: Upgrade', 'Connection: close'), 'FW_ERR_HANDSHAKE_UPGRADE'],
    ['HTTP/1.0', (hs: ClientHandshake) => response(hs, [], { status: 'HTTP/1.0 101 Switching Protocols' }), 'FW_ERR_HANDSHAKE_MALFORMED'],
    ['a subprotocol not offered', (hs: ClientHandshake) => response(hs, ['Sec-WebSocket-Protocol: other']), 'FW_ERR_HANDSHAKE_PROTOCOL'],
    ['two subprotocols', (hs: ClientHandshake) => response(hs, ['Sec-WebSocket-Protocol: chat, v2']), 'FW_ERR_HANDSHAKE_PROTOCOL'],
    ['two protocol headers', (hs: ClientHandshake) => response(hs, ['Sec-WebSocket-Protocol: chat', 'Sec-WebSocket-Protocol: chat']), 'FW_ERR_HANDSHAKE_PROTOCOL'],
    ['an extension not offered', (hs: ClientHandshake) => response(hs, ['Sec-WebSocket-Extensions: x-other']), 'FW_ERR_HANDSHAKE_EXTENSION'],
    ['a malformed extension header', (hs: ClientHandshake) => response(hs, ['Sec-WebSocket-Extensions: permessage-deflate; =']), 'FW_ERR_HANDSHAKE_EXTENSION'],
    ['a malformed status line', () => 'HTTP/1.1 OK\r\n\r\n', 'FW_ERR_HANDSHAKE_MALFORMED'],
    ['obsolete line folding', (hs: ClientHandshake) => response(hs, ['X: a', ' b']), 'FW_ERR_HANDSHAKE_MALFORMED'],
    ['a head over the limit', (hs: ClientHandshake) => response(hs, [`X: ${'a'.repeat(17_000)}`]), 'FW_ERR_HANDSHAKE_TOO_LARGE'],
  ])('fails on %s', (_what, make, code) => {
    const hs = client({ protocols: ['chat', 'v2'], extensions: 'permessage-deflate' });
    const r = hs.receive(enc(make(hs)));
    expect(r.type).toBe('failed');
    if (r.type !== 'failed') return;
    expect(r.error).toBeInstanceOf(HandshakeError);
    expect(r.error.code).toBe(code);
    expect(hs.receiveEof()).toBe(r);
  });

  it('reports a non-101 status with headers and the body read per Content-Length', () => {
    const hs = client();
    const body = 'missing token';
    const head = `HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: ${body.length}\r\n\r\n`;
    expect(hs.receive(enc(head + body.slice(0, 4))).type).toBe('need-more');
    const r = hs.receive(enc(body.slice(4) + 'ignored'));
    expect(r.type).toBe('failed');
    if (r.type !== 'failed') return;
    expect(r.error.code).toBe('FW_ERR_HANDSHAKE_STATUS');
    expect(r.error.status).toBe(401);
    expect(r.error.headers?.get('www-authenticate')).toBe('Bearer');
    expect(dec(r.error.body)).toBe(body);
    expect(r.error.message).toContain('401');
  });

  it('caps the kept body and finishes at the cap', () => {
    const hs = client({ maxErrorBodyBytes: 10 });
    const r = hs.receive(enc('HTTP/1.1 500 Oops\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(50)));
    expect(r.type === 'failed' && dec(r.error.body)).toBe('x'.repeat(10));
  });

  it('fails at once on a body without Content-Length, keeping what came with the head', () => {
    const hs = client();
    const r = hs.receive(enc('HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\nmoved'));
    expect(r.type === 'failed' && [r.error.status, r.error.headers?.get('location'), dec(r.error.body)]).toEqual([
      302,
      '/elsewhere',
      'moved',
    ]);
  });

  it('keeps a chunked body raw and finishes at its last chunk', () => {
    const hs = client();
    expect(hs.receive(enc('HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnope\r\n')).type).toBe('need-more');
    expect(hs.receive(enc('0\r\n')).type).toBe('need-more');
    const r = hs.receive(enc('\r\n'));
    expect(r.type === 'failed' && [r.error.status, dec(r.error.body)]).toEqual([403, '4\r\nnope\r\n0\r\n\r\n']);
  });

  it('finishes at once for a status without a body', () => {
    const r = client().receive(enc('HTTP/1.1 204 No Content\r\n\r\n'));
    expect(r.type === 'failed' && r.error.status).toBe(204);
  });

  it('fails with FW_ERR_HANDSHAKE_EOF when the connection ends mid-head', () => {
    const hs = client();
    hs.receive(enc('HTTP/1.1 101 Switching'));
    const r = hs.receiveEof();
    expect(r.type === 'failed' && r.error.code).toBe('FW_ERR_HANDSHAKE_EOF');
  });
});
