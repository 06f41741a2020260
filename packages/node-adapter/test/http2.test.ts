// RFC 8441 on Node: the server attached to an http2 secure server (h2 and
// http/1.1 on one port) and connect(url, { http2: true }).
import { connect as http2Connect, createSecureServer, createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HandshakeStatusError, WebSocketServer, connect, http2StreamOf, type Session } from '../src/index.js';
import { makeTestCert, type TestCert } from './helpers/certs.js';
import { startHttp2Echo } from './helpers/http2.js';

let cert: TestCert;
beforeAll(() => {
  cert = makeTestCert();
});
afterAll(() => cert.remove());

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function echo(options: Parameters<typeof startHttp2Echo>[1] = {}) {
  const server = await startHttp2Echo(cert, options);
  cleanups.push(() => server.close());
  return server;
}

function next(ws: Session): Promise<unknown> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(data)));
}

describe('WebSocket over HTTP/2 (RFC 8441)', () => {
  it('echoes text and binary over one extended CONNECT stream, with permessage-deflate', async () => {
    const server = await echo();
    const seen: Session[] = [];
    server.wss.on('connection', (ws) => seen.push(ws));
    const ws = await connect(`wss://127.0.0.1:${server.port}/chat`, { http2: true, tls: { ca: cert.cert } });
    expect(ws.transportKind).toBe('http2');
    expect(ws.extensions).toContain('permessage-deflate');
    let reply = next(ws);
    ws.send('hello h2');
    expect(await reply).toBe('hello h2');
    reply = next(ws);
    ws.send(new Uint8Array([1, 2, 3]));
    expect(Array.from(await reply as Uint8Array)).toEqual([1, 2, 3]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.transportKind).toBe('http2');
    ws.close(4001, 'bye');
    expect(await ws.closed).toMatchObject({ code: 4001, wasClean: true });
    expect((await seen[0]!.closed).code).toBe(4001);
  });
});

describe('sharing, fallback paths and hooks', () => {
  it('ten connect({ http2 }) to one origin share one HTTP/2 connection, closed after the last', async () => {
    const server = await echo();
    const serverSides: Session[] = [];
    server.wss.on('connection', (ws) => serverSides.push(ws));
    const sockets = await Promise.all(
      Array.from({ length: 10 }, (_, i) => connect(`wss://127.0.0.1:${server.port}/n${i}`, { http2: true, tls: { ca: cert.cert } })),
    );
    const h2 = new Set(sockets.map((ws) => http2StreamOf(ws)?.session));
    expect(h2.size).toBe(1);
    expect(new Set(serverSides.map((ws) => http2StreamOf(ws)?.session)).size).toBe(1);
    expect(serverSides.every((ws) => ws.transportKind === 'http2')).toBe(true);
    const replies = await Promise.all(sockets.map((ws, i) => { const r = next(ws); ws.send(`m${i}`); return r; }));
    expect(replies).toEqual(sockets.map((_, i) => `m${i}`));
    const [session] = [...h2];
    for (const ws of sockets) ws.close(1000);
    await Promise.all(sockets.map((ws) => ws.closed));
    await new Promise<void>((resolve) => (session!.closed ? resolve() : session!.once('close', () => resolve())));
    expect(session!.closed).toBe(true);
  });

  it('HTTP/1.1 upgrades and plain requests keep working on the same port', async () => {
    const server = await echo();
    const ws = await connect(`wss://127.0.0.1:${server.port}/h1`, { tls: { ca: cert.cert } });
    expect(ws.transportKind).toBe('tls');
    const reply = next(ws);
    ws.send('over http/1.1');
    expect(await reply).toBe('over http/1.1');
    ws.close(1000);
    await ws.closed;
  });

  it('the accept hook runs with the stream in its context: 403 and 401 refuse before any WebSocket byte', async () => {
    const contexts: unknown[] = [];
    const server = await echo({
      protocols: ['chat.v2'],
      accept: (request, context) => {
        contexts.push(context.http2Stream);
        if (request.origin !== 'https://app.example') return { type: 'reject', status: 403 };
        if (request.headers.get('authorization') !== 'Bearer ok') return { type: 'reject', status: 401, headers: { 'WWW-Authenticate': 'Bearer' } };
        return { type: 'accept' };
      },
    });
    const url = `wss://127.0.0.1:${server.port}/`;
    const tls = { ca: cert.cert };
    await expect(connect(url, { http2: true, tls, origin: 'https://evil.example' })).rejects.toMatchObject({ code: 'FW_ERR_HANDSHAKE_STATUS', status: 403 });
    const refused = connect(url, { http2: true, tls, origin: 'https://app.example' });
    await expect(refused).rejects.toMatchObject({ status: 401 });
    const error = await refused.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(HandshakeStatusError);
    expect((error as HandshakeStatusError).headers['www-authenticate']).toBe('Bearer');
    const ws = await connect(url, { http2: true, tls, origin: 'https://app.example', headers: { Authorization: 'Bearer ok' }, protocols: ['chat.v1', 'chat.v2'] });
    expect(ws.protocol).toBe('chat.v2');
    expect(contexts.every((stream) => stream !== undefined)).toBe(true);
    ws.close(1000);
    await ws.closed;
  });

  it('a path no server takes is a 404 stream response', async () => {
    const server = await echo({ path: '/only' });
    await expect(connect(`wss://127.0.0.1:${server.port}/other`, { http2: true, tls: { ca: cert.cert } })).rejects.toMatchObject({ status: 404 });
    const ws = await connect(`wss://127.0.0.1:${server.port}/only`, { http2: true, tls: { ca: cert.cert } });
    ws.close(1000);
    await ws.closed;
  });

  it('a session passed in carries the WebSocket and stays open after it', async () => {
    const server = await echo();
    const session = http2Connect(`https://127.0.0.1:${server.port}`, { ca: cert.cert });
    cleanups.push(() => session.close());
    const ws = await connect(`wss://127.0.0.1:${server.port}/`, { http2Session: session });
    expect(http2StreamOf(ws)?.session).toBe(session);
    const reply = next(ws);
    ws.send('mine');
    expect(await reply).toBe('mine');
    ws.close(1000);
    await ws.closed;
    expect(session.closed).toBe(false);
  });

  it('a server that does not advertise extended CONNECT fails with a clear ConnectError', async () => {
    const plain = createSecureServer({ key: cert.key, cert: cert.cert });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    const { port } = plain.address() as AddressInfo;
    const failure = connect(`wss://127.0.0.1:${port}/`, { http2: true, tls: { ca: cert.cert } });
    await expect(failure).rejects.toMatchObject({ code: 'FW_ERR_HANDSHAKE_INVALID' });
    await expect(failure).rejects.toThrow(/SETTINGS_ENABLE_CONNECT_PROTOCOL/);
  });

  it('cleartext h2c: ws:// with { http2 } against http2.createServer', async () => {
    const h2c = createServer({ settings: { enableConnectProtocol: true } });
    const wss = new WebSocketServer({ server: h2c });
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
    await new Promise<void>((resolve) => h2c.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      await wss.close({ timeout: 300 });
      await new Promise<void>((resolve) => h2c.close(() => resolve()));
    });
    const { port } = h2c.address() as AddressInfo;
    const ws = await connect(`ws://127.0.0.1:${port}/`, { http2: true });
    const reply = next(ws);
    ws.send('h2c');
    expect(await reply).toBe('h2c');
    ws.close(1000);
    expect((await ws.closed).code).toBe(1000);
  });

  it('the TLS failure of an untrusted certificate is FW_ERR_TLS', async () => {
    const server = await echo();
    await expect(connect(`wss://127.0.0.1:${server.port}/`, { http2: true })).rejects.toMatchObject({ code: 'FW_ERR_TLS' });
  });
});
