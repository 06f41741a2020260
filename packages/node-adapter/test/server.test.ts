import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer, accept, allowOrigins, bearerToken, reject, type Session } from '../src/index.js';
import { closedWithin, rawConnect, readAll, upgradeRequest, waitFor } from './helpers/net.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A standalone echo server on a free port. */
async function echoServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}): Promise<{ server: WebSocketServer; port: number }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  server.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (ws.readyState === 1) ws.send(data, { binary: isBinary });
    });
  });
  const { port } = await server.listen();
  cleanups.push(() => server.close({ timeout: 500 }));
  return { server, port };
}

/** Open a ws client and wait for 'open' (or the unexpected response). */
function wsClient(url: string, options: WebSocket.ClientOptions = {}, protocols?: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    cleanups.push(() => ws.terminate());
  });
}

/** The status code of an upgrade ws's client saw refused. */
function refusedStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => reject(new Error('unexpectedly opened')));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      res.resume();
      ws.terminate();
    });
    ws.once('error', () => {});
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe('standalone server with the ws client', () => {
  it('echoes text and binary with their types', async () => {
    const { server, port } = await echoServer();
    const seen = new Promise<Session>((resolve) => server.once('connection', resolve));
    const ws = await wsClient(`ws://127.0.0.1:${port}/any/path?x=1`);
    ws.send('héllo ✓');
    const text = await nextMessage(ws);
    expect(text.isBinary).toBe(false);
    expect(text.data.toString()).toBe('héllo ✓');
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    ws.send(bytes);
    const binary = await nextMessage(ws);
    expect(binary.isBinary).toBe(true);
    expect(Buffer.compare(binary.data, bytes)).toBe(0);
    const closed = closeOf(ws);
    ws.close(1000, 'done');
    expect((await closed).code).toBe(1000);
    expect(await (await seen).closed).toEqual({ code: 1000, reason: 'done', wasClean: true });
  });

  it('keeps permessage-deflate off by default and negotiates it when enabled', async () => {
    const plain = await echoServer();
    const a = await wsClient(`ws://127.0.0.1:${plain.port}/`, { perMessageDeflate: true });
    expect(a.extensions).toBe('');

    const deflating = await echoServer({ perMessageDeflate: true });
    const b = await wsClient(`ws://127.0.0.1:${deflating.port}/`, { perMessageDeflate: true });
    expect(b.extensions).toContain('permessage-deflate');
    const big = 'compress me '.repeat(10_000);
    b.send(big);
    expect((await nextMessage(b)).data.toString()).toBe(big);
  });

  it('selects a subprotocol by server preference', async () => {
    const { server, port } = await echoServer({ protocols: ['chat.v2', 'chat.v1'] });
    const seen = new Promise<Session>((resolve) => server.once('connection', (ws) => resolve(ws)));
    const ws = await wsClient(`ws://127.0.0.1:${port}/`, {}, ['chat.v1', 'chat.v2']);
    expect(ws.protocol).toBe('chat.v2');
    expect((await seen).protocol).toBe('chat.v2');
  });

  it('answers 404 for a path it does not serve', async () => {
    const { port } = await echoServer({ path: ['/a', '/b'] });
    expect((await refusedStatus(`ws://127.0.0.1:${port}/c`)).status).toBe(404);
    await wsClient(`ws://127.0.0.1:${port}/b`);
  });

  it('lists its clients and counts them', async () => {
    const { server, port } = await echoServer();
    await wsClient(`ws://127.0.0.1:${port}/`);
    await wsClient(`ws://127.0.0.1:${port}/`);
    await waitFor(() => server.connectionCount === 2);
    expect([...server.clients].every((client) => client.readyState === 1)).toBe(true);
  });
});

describe('attach mode and handleUpgrade', () => {
  async function httpServer(): Promise<{ http: HttpServer; port: number }> {
    const http = createHttpServer((_req, res) => res.end('page'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      http.closeAllConnections();
      http.close(() => resolve());
    }));
    return { http, port: (http.address() as AddressInfo).port };
  }

  it('routes several servers on one http server by path and refuses other paths with 404', async () => {
    const { http, port } = await httpServer();
    const chat = new WebSocketServer({ server: http, path: '/chat' });
    const echo = new WebSocketServer({ server: http, path: '/echo' });
    cleanups.push(() => chat.close({ timeout: 200 }), () => echo.close({ timeout: 200 }));
    chat.on('connection', (ws) => ws.send('chat'));
    echo.on('connection', (ws) => ws.send('echo'));

    const a = new WebSocket(`ws://127.0.0.1:${port}/chat`);
    cleanups.push(() => a.terminate());
    expect((await nextMessage(a)).data.toString()).toBe('chat');
    const b = new WebSocket(`ws://127.0.0.1:${port}/echo?x=1`);
    cleanups.push(() => b.terminate());
    expect((await nextMessage(b)).data.toString()).toBe('echo');
    expect(chat.connectionCount).toBe(1);
    expect(echo.connectionCount).toBe(1);

    // Not a hang: an answer, quickly.
    const started = Date.now();
    expect((await refusedStatus(`ws://127.0.0.1:${port}/nothing-here`)).status).toBe(404);
    expect(Date.now() - started).toBeLessThan(1000);
    // The http server still serves plain requests.
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('page');
  });

  it('handleUpgrade gives full control to the application', async () => {
    const { http, port } = await httpServer();
    const wss = new WebSocketServer();
    cleanups.push(() => wss.close({ timeout: 200 }));
    wss.on('connection', (ws, request) => ws.send(`hi ${request.path}`));
    http.on('upgrade', (req, socket, head) => {
      if (req.url?.startsWith('/live')) wss.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/live/1`);
    cleanups.push(() => ws.terminate());
    expect((await nextMessage(ws)).data.toString()).toBe('hi /live/1');
  });

  it('does not lose frames that arrive with the request head', async () => {
    const { http, port } = await httpServer();
    const wss = new WebSocketServer({ server: http });
    cleanups.push(() => wss.close({ timeout: 200 }));
    const got = new Promise<string>((resolve) => wss.on('connection', (ws) => ws.on('message', (d) => resolve(String(d)))));
    const socket = await rawConnect(port);
    cleanups.push(() => socket.destroy());
    // One write: the request and a masked text frame "hi" (RFC 6455 §5.7 style).
    const maskKey = [1, 2, 3, 4];
    const frame = Buffer.from([0x81, 0x82, ...maskKey, 'h'.charCodeAt(0) ^ 1, 'i'.charCodeAt(0) ^ 2]);
    socket.write(Buffer.concat([Buffer.from(upgradeRequest('/')), frame]));
    expect(await got).toBe('hi');
  });
});

describe('accept hook', () => {
  it('refuses a bad origin with 403 and lets a good one in', async () => {
    const { port } = await echoServer({ accept: allowOrigins(['https://app.example']) });
    expect((await refusedStatus(`ws://127.0.0.1:${port}/`, { origin: 'https://evil.example' })).status).toBe(403);
    await wsClient(`ws://127.0.0.1:${port}/`, { origin: 'https://app.example' });
  });

  it('refuses a missing token with 401 and WWW-Authenticate', async () => {
    const { port } = await echoServer({ accept: bearerToken((token) => token === 's3cret', { queryParam: 'token' }) });
    const refused = await refusedStatus(`ws://127.0.0.1:${port}/`);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer');
    expect((await refusedStatus(`ws://127.0.0.1:${port}/?token=wrong`)).status).toBe(401);
    await wsClient(`ws://127.0.0.1:${port}/?token=s3cret`);
    await wsClient(`ws://127.0.0.1:${port}/`, { headers: { Authorization: 'Bearer s3cret' } });
  });

  it('sees path, query, headers, origin and offered subprotocols; may be async and add headers', async () => {
    let seen: { path: string; query: string; origin: string | undefined; protocols: readonly string[]; custom: string | undefined } | undefined;
    const { port } = await echoServer({
      accept: async (request, context) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen = {
          path: request.path,
          query: request.query,
          origin: request.origin,
          protocols: request.protocols,
          custom: request.headers.get('x-custom'),
        };
        expect(context.socket.remoteAddress).toBe('127.0.0.1');
        return request.protocols.includes('p2') ? accept({ protocol: 'p2', headers: { 'X-Hello': 'yes' } }) : reject(400);
      },
    });
    const headers = new Promise<Record<string, unknown>>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/room?id=7`, ['p1', 'p2'], {
        origin: 'https://o.example',
        headers: { 'X-Custom': 'abc' },
      });
      cleanups.push(() => ws.terminate());
      ws.once('upgrade', (res) => resolve(res.headers));
    });
    expect((await headers)['x-hello']).toBe('yes');
    expect(seen).toEqual({ path: '/room', query: 'id=7', origin: 'https://o.example', protocols: ['p1', 'p2'], custom: 'abc' });
  });

  it('answers 500 when the hook throws', async () => {
    const { port } = await echoServer({
      accept: () => {
        throw new Error('database down');
      },
    });
    expect((await refusedStatus(`ws://127.0.0.1:${port}/`)).status).toBe(500);
  });
});

describe('limits', () => {
  it('drops a client that sends half a request (handshake timeout)', async () => {
    const { server, port } = await echoServer({ handshakeTimeout: 300 });
    const socket = await rawConnect(port);
    cleanups.push(() => socket.destroy());
    socket.on('error', () => {});
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webso');
    const took = await closedWithin(socket);
    expect(took).toBeGreaterThanOrEqual(200);
    expect(took).toBeLessThan(3000);
    expect(server.connectionCount + server.pendingCount).toBe(0);
  });

  it('refuses connections past maxConnections with 503', async () => {
    const { server, port } = await echoServer({ maxConnections: 2 });
    await wsClient(`ws://127.0.0.1:${port}/`);
    await wsClient(`ws://127.0.0.1:${port}/`);
    expect((await refusedStatus(`ws://127.0.0.1:${port}/`)).status).toBe(503);
    expect(server.connectionCount).toBe(2);
  });

  it('closes with 1009 when a message is larger than maxPayload', async () => {
    const { port } = await echoServer({ maxPayload: 1000 });
    const ws = await wsClient(`ws://127.0.0.1:${port}/`);
    const closed = closeOf(ws);
    ws.send(Buffer.alloc(1001));
    expect((await closed).code).toBe(1009);
  });

  it('heartbeat: a peer that answers pings stays, a silent one is closed with 1006', async () => {
    const { server, port } = await echoServer({ heartbeat: { interval: 100, timeout: 150 } });
    const sessions: Session[] = [];
    server.on('connection', (ws) => sessions.push(ws));
    const alive = await wsClient(`ws://127.0.0.1:${port}/`); // ws answers pings itself
    const silent = await rawConnect(port);
    silent.on('error', () => {});
    cleanups.push(() => silent.destroy());
    silent.write(upgradeRequest('/'));
    await waitFor(() => sessions.length === 2);
    const dead = sessions[1]!;
    const started = Date.now();
    expect(await dead.closed).toEqual({ code: 1006, reason: '', wasClean: false });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(sessions[0]!.readyState).toBe(1);
    expect(alive.readyState).toBe(WebSocket.OPEN);
  });

  it('answers 400 for a request that is not a valid upgrade', async () => {
    const { port } = await echoServer();
    const socket = await rawConnect(port);
    const response = readAll(socket);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await response).toString('latin1')).toMatch(/^HTTP\/1\.1 (400|426) /);
  });
});

describe('shutdown and failures', () => {
  it('graceful shutdown sends 1001, waits for close handshakes and resolves', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const { port } = await server.listen();
    const a = await wsClient(`ws://127.0.0.1:${port}/`);
    const b = await wsClient(`ws://127.0.0.1:${port}/`);
    await waitFor(() => server.connectionCount === 2);
    const closes = Promise.all([closeOf(a), closeOf(b)]);
    const started = Date.now();
    await server.close({ timeout: 3000 });
    expect(Date.now() - started).toBeLessThan(2000); // the clients answered; no need to wait for the timeout
    expect((await closes).map((c) => c.code)).toEqual([1001, 1001]);
    expect(server.connectionCount).toBe(0);
    // No longer listening.
    await expect(rawConnect(port)).rejects.toThrow();
  });

  it('graceful shutdown destroys clients that never answer after the timeout', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const { port } = await server.listen();
    const socket = await rawConnect(port);
    socket.on('error', () => {});
    cleanups.push(() => socket.destroy());
    socket.write(upgradeRequest('/'));
    await waitFor(() => server.connectionCount === 1);
    socket.pause(); // never reads, never answers the close
    const started = Date.now();
    await server.close({ timeout: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(server.connectionCount).toBe(0);
  });

  it('reports 1006 when the client socket ends abruptly', async () => {
    const { server, port } = await echoServer();
    const seen = new Promise<Session>((resolve) => server.once('connection', resolve));
    const ws = await wsClient(`ws://127.0.0.1:${port}/`);
    const session = await seen;
    ws.terminate();
    const info = await session.closed;
    expect(info).toEqual({ code: 1006, reason: '', wasClean: false });
  });

  it('turns a socket error into a 1006 close, never an unhandled exception', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (error: unknown): void => {
      unhandled.push(error);
    };
    process.on('uncaughtException', onUnhandled);
    process.on('unhandledRejection', onUnhandled);
    cleanups.push(() => {
      process.off('uncaughtException', onUnhandled);
      process.off('unhandledRejection', onUnhandled);
    });
    const { server, port } = await echoServer();
    const seen = new Promise<Session>((resolve) => server.once('connection', resolve));
    const socket = await rawConnect(port);
    socket.write(upgradeRequest('/'));
    const session = await seen;
    const errors: Error[] = [];
    session.on('error', (error) => errors.push(error));
    // RST instead of FIN: the server's socket sees ECONNRESET.
    socket.resetAndDestroy();
    const info = await session.closed;
    expect(info.code).toBe(1006);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
  });
});
