// The RFC 8441 ↔ HTTP/1.1 header translation (src/http2-head.ts), property
// tested against the codec's own handshake: any header block is translated
// or refused with a documented status without throwing; a valid extended
// CONNECT is accepted by the same validator as an HTTP/1.1 upgrade with its
// fields intact; the client's request survives the trip; an HTTP/2 answer
// reaches the codec's client handshake as the right result.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientHandshake, HeadParser, HandshakeError, ServerHandshake, type RequestHead } from '@framewire/codec/adapter';
import { http2RequestFromHead, http2ResponseHeaders, requestHeadFromHttp2, responseBytesFromHttp2 } from '../src/http2-head.js';

const RUNS = Number(process.env.FW_FUZZ_RUNS ?? 2000);
const options = { seed: 0x8441, numRuns: RUNS };

const token = fc.stringMatching(/^[a-z][a-z0-9.-]{0,11}$/);
const pathArbitrary = fc.array(fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/), { maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
const anyName = fc.oneof(fc.constantFrom(':method', ':protocol', ':path', ':scheme', ':authority', ':status', 'host', 'sec-websocket-key', 'sec-websocket-version', 'connection', 'upgrade'), token);
const anyValue = fc.oneof(fc.constantFrom('CONNECT', 'GET', 'websocket', 'WebSocket', 'h2c', '/', '', '13', 'https'), fc.string({ maxLength: 20 }));

describe('requestHeadFromHttp2', () => {
  it('never throws: a head, or a refusal with 400, 405 or 501', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyName, anyValue), { maxLength: 12 }), (pairs) => {
        const result = requestHeadFromHttp2(pairs.flat());
        if ('kind' in result) expect(result.method).toBe('GET');
        else expect([400, 405, 501]).toContain(result.status);
      }),
      options,
    );
  });

  it('a valid extended CONNECT passes the codec validator with path, query, subprotocols and extensions intact', () => {
    fc.assert(
      fc.property(pathArbitrary, fc.option(fc.stringMatching(/^[a-z]=[0-9]{1,3}$/)), fc.uniqueArray(token, { maxLength: 3 }), fc.boolean(), (path, query, protocols, deflate) => {
        const target = query === null ? path : `${path}?${query}`;
        const raw = [':method', 'CONNECT', ':protocol', 'websocket', ':scheme', 'https', ':authority', 'example.com', ':path', target, 'sec-websocket-version', '13'];
        if (protocols.length > 0) raw.push('sec-websocket-protocol', protocols.join(', '));
        if (deflate) raw.push('sec-websocket-extensions', 'permessage-deflate; client_max_window_bits');
        const head = requestHeadFromHttp2(raw);
        expect('kind' in head).toBe(true);
        const result = new ServerHandshake().receiveHead(head as RequestHead);
        expect(result.type).toBe('request');
        if (result.type !== 'request') return;
        expect(result.request.path).toBe(path);
        expect(result.request.query).toBe(query ?? '');
        expect(result.request.host).toBe('example.com');
        expect(result.request.httpVersion).toEqual({ major: 2, minor: 0 });
        expect(result.request.protocols).toEqual(protocols);
        expect(result.request.extensions.map((offer) => offer.name)).toEqual(deflate ? ['permessage-deflate'] : []);
      }),
      options,
    );
  });
});

describe('client side: the codec request out, the HTTP/2 answer back in', () => {
  it('the extended CONNECT carries what the codec asked for, and :status 200 is accepted with the chosen subprotocol', () => {
    fc.assert(
      fc.property(pathArbitrary, fc.uniqueArray(token, { minLength: 1, maxLength: 3 }), fc.nat(), (path, protocols, pick) => {
        const handshake = new ClientHandshake({ url: `wss://example.com:8443${path}`, protocols, headers: { 'x-trace': 'abc' } });
        const parsed = new HeadParser<RequestHead>('request').push(handshake.request);
        expect(parsed.type).toBe('head');
        if (parsed.type !== 'head') return;
        const { headers, key } = http2RequestFromHead(parsed.head, 'https');
        expect(headers).toMatchObject({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': path, ':authority': 'example.com:8443', 'x-trace': 'abc' });
        for (const name of ['host', 'upgrade', 'connection', 'sec-websocket-key']) expect(headers[name]).toBeUndefined();
        expect(key).toBe(handshake.key);
        const chosen = protocols[pick % protocols.length]!;
        const result = handshake.receive(responseBytesFromHttp2({ ':status': 200, 'sec-websocket-protocol': chosen }, key));
        expect(result.type).toBe('accepted');
        if (result.type === 'accepted') expect(result.response.protocol).toBe(chosen);
      }),
      options,
    );
  });

  it('any other :status fails the codec handshake with that status and the body', () => {
    fc.assert(
      fc.property(fc.integer({ min: 201, max: 599 }), fc.string({ maxLength: 64 }), (status, body) => {
        const handshake = new ClientHandshake({ url: 'wss://example.com/' });
        const result = handshake.receive(responseBytesFromHttp2({ ':status': status, 'content-type': 'text/plain' }, handshake.key, new TextEncoder().encode(body)));
        expect(result.type).toBe('failed');
        if (result.type !== 'failed') return;
        expect(result.error).toBeInstanceOf(HandshakeError);
        expect(result.error.status).toBe(status);
        expect(new TextDecoder().decode(result.error.body)).toBe(body);
      }),
      options,
    );
  });

  it('the server answer: 101 becomes :status 200 without the accept key or connection fields', () => {
    const head = new HeadParser('response').push(
      new TextEncoder().encode('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\nSec-WebSocket-Protocol: chat\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n'),
    );
    if (head.type !== 'head') throw new Error('bad fixture');
    expect(http2ResponseHeaders(head.head as never)).toEqual({ ':status': 200, 'sec-websocket-protocol': 'chat', 'set-cookie': ['a=1', 'b=2'] });
  });
});
