// Our Bun server (Bun.listen) against Bun's built-in WebSocket client, our
// own client and raw TCP peers: echo, extensions, subprotocols, the accept
// hook, limits, handshake timeout, graceful shutdown, backpressure and
// abrupt ends. The same behaviours the Node adapter's tests check.
import { describe, expect, it } from 'bun:test';
import { FrameDecoder } from '@framewire/codec';
import {
  HandshakeStatusError,
  UsageError,
  WebSocketServer,
  accept,
  allowOrigins,
  bearerToken,
  connect,
  reject,
  type Session,
} from '../src/index.js';
import { echoServer, nextConnection, onCleanup, rawConnect, upgradeRequest, useCleanup, within } from './helpers.js';

useCleanup();

/** Bun's built-in client, open. */
async function bunClient(url: string, options: Bun.WebSocketOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  ws.binaryType = 'arraybuffer';
  onCleanup(() => ws.readyState <= 1 && ws.terminate());
  await within(
    new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = (event) => reject(new Error(`Bun WebSocket failed: ${(event as ErrorEvent).message ?? 'error'}`));
    }),
    5000,
    `open ${url}`,
  );
  return ws;
}

function nextMessage(ws: WebSocket): Promise<string | ArrayBuffer> {
  return within(new Promise((resolve) => ws.addEventListener('message', (e) => resolve(e.data as string | ArrayBuffer), { once: true })), 5000, 'message');
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return within(new Promise((resolve) => ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason }), { once: true })), 8000, 'close');
}

/** Send a raw upgrade and read the status line. */
async function rawStatus(port: number, path = '/', headers: Record<string, string> = {}): Promise<string> {
  const peer = await rawConnect(port);
  peer.write(upgradeRequest(path, headers));
  const text = await peer.until((t) => t.includes('\r\n\r\n'));
  return text;
}

describe("with Bun's built-in WebSocket client", () => {
  it('echoes text and binary with their types, and reports the close code both ways', async () => {
    const { server, port } = await echoServer();
    const seen = nextConnection(server);
    const ws = await bunClient(`ws://127.0.0.1:${port}/any/path?x=1`);
    ws.send('héllo ✓');
    expect(await nextMessage(ws)).toBe('héllo ✓');
    const bytes = new Uint8Array(Array.from({ length: 200_000 }, (_, i) => i % 251));
    ws.send(bytes);
    const echoed = await nextMessage(ws);
    expect(echoed).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(echoed as ArrayBuffer).equals(Buffer.from(bytes))).toBe(true);
    const closed = closeOf(ws);
    ws.close(4000, 'bye');
    expect((await closed).code).toBe(4000);
    expect(await (await seen).closed).toEqual({ code: 4000, reason: 'bye', wasClean: true });
  });

  it('keeps permessage-deflate off by default and negotiates it through node:zlib when enabled', async () => {
    const plain = await echoServer();
    const a = await bunClient(`ws://127.0.0.1:${plain.port}/`, { perMessageDeflate: true });
    expect(a.extensions).toBe('');
    const deflating = await echoServer({ perMessageDeflate: true });
    const seen = nextConnection(deflating.server);
    const b = await bunClient(`ws://127.0.0.1:${deflating.port}/`, { perMessageDeflate: true });
    expect(b.extensions).toContain('permessage-deflate');
    expect((await seen).extensions).toContain('permessage-deflate');
    const text = 'compress me '.repeat(50_000);
    b.send(text);
    expect(await nextMessage(b)).toBe(text);
  });

  it('chooses the subprotocol by server preference, or as the accept hook says', async () => {
    const byPolicy = await echoServer({ protocols: ['chat.v2', 'chat.v1'] });
    const a = await bunClient(`ws://127.0.0.1:${byPolicy.port}/`, { protocols: ['chat.v1', 'chat.v2'] });
    expect(a.protocol).toBe('chat.v2');
    const byHook = await echoServer({ accept: (request) => accept({ protocol: request.protocols.at(-1) }) });
    const b = await bunClient(`ws://127.0.0.1:${byHook.port}/`, { protocols: ['x', 'y'] });
    expect(b.protocol).toBe('y');
  });

  it('closes with 1009 when a message is over maxPayload', async () => {
    const { server, port } = await echoServer({ maxPayload: 1000 });
    const seen = nextConnection(server);
    const ws = await bunClient(`ws://127.0.0.1:${port}/`);
    const closed = closeOf(ws);
    ws.send(new Uint8Array(1001));
    expect((await closed).code).toBe(1009);
    expect((await (await seen).closed).code).toBe(1009);
  });

  it('graceful shutdown: 1001 to every client, close() resolves, no new connections', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    onCleanup(() => server.close({ timeout: 200 }));
    const { port } = await server.listen();
    const clients = [await bunClient(`ws://127.0.0.1:${port}/`), await bunClient(`ws://127.0.0.1:${port}/`)];
    await within(
      (async () => {
        while (server.connectionCount < 2) await Bun.sleep(5);
      })(),
      2000,
      'two connections',
    );
    const closes = clients.map(closeOf);
    let closeEvent = false;
    server.on('close', () => (closeEvent = true));
    await within(server.close({ timeout: 2000, reason: 'maintenance' }), 5000, 'server.close');
    for (const c of await Promise.all(closes)) expect(c).toEqual({ code: 1001, reason: 'maintenance' });
    expect(closeEvent).toBe(true);
    expect(server.connectionCount).toBe(0);
    const refused = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {}, connectError() {} } }).then(
      (s) => (s.terminate(), 'connected'),
      () => 'refused',
    );
    expect(refused).toBe('refused');
  });

  it('graceful shutdown terminates clients that never answer the close frame', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const { port } = await server.listen();
    const seen = nextConnection(server);
    const peer = await rawConnect(port);
    peer.write(upgradeRequest());
    await peer.until((t) => t.includes('\r\n\r\n'));
    const session = await seen;
    const started = performance.now();
    await within(server.close({ timeout: 300 }), 3000, 'close with a mute client');
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect((await session.closed).code).toBe(1006);
    // The peer got our close frame: 0x88, length, 1001.
    const frames = peer.received().subarray(peer.text().indexOf('\r\n\r\n') + 4);
    expect(Array.from(frames.subarray(0, 4))).toEqual([0x88, frames[1]!, 0x03, 0xe9]);
  });
});

describe('the accept hook and limits (raw TCP and our client)', () => {
  it('refuses with 403 from allowOrigins before any upgrade', async () => {
    const { server, port } = await echoServer({ accept: allowOrigins(['https://app.example']) });
    const rejected = new Promise<number>((resolve) => server.once('rejected', (status) => resolve(status)));
    expect(await rawStatus(port, '/', { Origin: 'https://evil.example' })).toStartWith('HTTP/1.1 403');
    expect(await rejected).toBe(403);
    expect(await rawStatus(port, '/', { Origin: 'https://app.example' })).toStartWith('HTTP/1.1 101');
    const error = await connect(`ws://127.0.0.1:${port}/`, { origin: 'https://evil.example' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandshakeStatusError);
    expect((error as HandshakeStatusError).status).toBe(403);
  });

  it('refuses with 401 and WWW-Authenticate from bearerToken; accepts a good token (header or query)', async () => {
    const { port } = await echoServer({ accept: bearerToken((token) => token === 's3cret', { queryParam: 'token' }) });
    const error = await connect(`ws://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandshakeStatusError);
    expect((error as HandshakeStatusError).status).toBe(401);
    expect((error as HandshakeStatusError).headers['www-authenticate']).toBe('Bearer');
    const byQuery = await connect(`ws://127.0.0.1:${port}/?token=s3cret`);
    byQuery.close();
    const byHeader = await connect(`ws://127.0.0.1:${port}/`, { headers: { Authorization: 'Bearer s3cret' } });
    byHeader.close();
    await Promise.all([byQuery.closed, byHeader.closed]);
  });

  it('gives an async hook the request and the Bun socket; a throwing hook answers 500', async () => {
    let remote = '';
    const { port } = await echoServer({
      accept: async (request, context) => {
        await Bun.sleep(5);
        remote = context.socket.remoteAddress;
        if (request.path === '/boom') throw new Error('hook bug');
        return request.headers.get('x-team') === 'blue' ? accept({ headers: { 'X-Welcome': 'yes' } }) : reject(403, { body: 'blue only' });
      },
    });
    expect(await rawStatus(port, '/', { 'X-Team': 'blue' })).toMatch(/^HTTP\/1\.1 101[^]*X-Welcome: yes/i);
    expect(remote).toBe('127.0.0.1');
    expect(await rawStatus(port, '/', { 'X-Team': 'red' })).toMatch(/^HTTP\/1\.1 403[^]*blue only/);
    expect(await rawStatus(port, '/boom')).toStartWith('HTTP/1.1 500');
  });

  it('takes only the configured paths (404 elsewhere)', async () => {
    const { port } = await echoServer({ path: ['/live', '/feed'] });
    expect(await rawStatus(port, '/live?x=1')).toStartWith('HTTP/1.1 101');
    expect(await rawStatus(port, '/other')).toStartWith('HTTP/1.1 404');
  });

  it('answers 503 beyond maxConnections', async () => {
    const { server, port } = await echoServer({ maxConnections: 1 });
    const first = await connect(`ws://127.0.0.1:${port}/`);
    expect(server.connectionCount).toBe(1);
    const error = await connect(`ws://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect((error as HandshakeStatusError).status).toBe(503);
    first.close();
    await first.closed;
  });

  it('answers 400 for a bad request and 426 for a wrong version', async () => {
    const { port } = await echoServer();
    const peer = await rawConnect(port);
    peer.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await peer.until((t) => t.includes('\r\n\r\n'))).toMatch(/^HTTP\/1\.1 (400|426)/);
    expect(await rawStatus(port, '/', { 'Sec-WebSocket-Version': '8' })).toMatch(/HTTP\/1\.1 (400|426)/);
  });

  it('handshake timeout: a client that never finishes its request is disconnected', async () => {
    const { server, port } = await echoServer({ handshakeTimeout: 300 });
    const peer = await rawConnect(port);
    peer.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // and then nothing (slowloris)
    const ms = await within(peer.closed, 3000, 'timeout disconnect');
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(server.pendingCount).toBe(0);
    expect(server.connectionCount).toBe(0);
  });

  it('frames sent right behind the request in the same write are not lost', async () => {
    const { port } = await echoServer();
    const peer = await rawConnect(port);
    // A masked text frame "hi" (RFC 6455 §5.7 style), glued to the request.
    const mask = [1, 2, 3, 4];
    const frame = new Uint8Array([0x81, 0x82, ...mask, 'h'.charCodeAt(0) ^ 1, 'i'.charCodeAt(0) ^ 2]);
    peer.write(Buffer.concat([Buffer.from(upgradeRequest()), frame]));
    const text = await peer.until((t) => t.endsWith('\x81\x02hi'));
    expect(text).toStartWith('HTTP/1.1 101');
  });
});

describe('backpressure and abrupt ends', () => {
  it('a slow reader: send() returns false, bufferedAmount grows, drained() resolves, nothing lost or reordered', async () => {
    const { server, port } = await echoServer({ highWaterMark: 256 * 1024, maxBufferedAmount: 64 * 1024 * 1024 });
    const seen = nextConnection(server);
    const peer = await rawConnect(port);
    peer.write(upgradeRequest());
    await peer.until((t) => t.includes('\r\n\r\n'));
    const headLength = peer.received().length;
    const session = await seen;
    peer.pause();
    const size = 60_000; // 4-byte frame header (RFC 6455 §5.2, 16-bit length)
    const count = 300; // 18 MB: more than the kernel buffers on loopback
    let refusedAt = -1;
    let maxBuffered = 0;
    for (let i = 0; i < count; i++) {
      const ok = session.send(new Uint8Array(size).fill(i & 0xff));
      maxBuffered = Math.max(maxBuffered, session.bufferedAmount);
      if (!ok && refusedAt < 0) refusedAt = i;
    }
    expect(refusedAt).toBeGreaterThanOrEqual(0);
    expect(maxBuffered).toBeGreaterThan(256 * 1024);
    let drainedEarly = false;
    const drained = session.drained().then(() => (drainedEarly = true));
    await Bun.sleep(50);
    expect(drainedEarly).toBe(false); // the reader has not read yet
    peer.resume();
    await within(drained, 10_000, 'drained');
    const total = headLength + count * (size + 4);
    await peer.until((t) => t.length >= total, 10_000);
    const bytes = peer.received().subarray(headLength);
    for (let i = 0; i < count; i++) {
      const at = i * (size + 4);
      expect([bytes[at], bytes[at + 1], (bytes[at + 2]! << 8) | bytes[at + 3]!]).toEqual([0x82, 126, size]);
      expect(bytes[at + 4]).toBe(i & 0xff);
      expect(bytes[at + 3 + size]).toBe(i & 0xff);
    }
    expect(bytes.length).toBe(count * (size + 4));
  });

  it('a reader that never reads is closed with 1008 past maxBufferedAmount, after every queued message', async () => {
    const maxBufferedAmount = 4 * 1024 * 1024;
    const { server, port } = await echoServer({ highWaterMark: 256 * 1024, maxBufferedAmount });
    const seen = nextConnection(server);
    const peer = await rawConnect(port);
    peer.write(upgradeRequest());
    await peer.until((t) => t.includes('\r\n\r\n'));
    const headLength = peer.text().indexOf('\r\n\r\n') + 4;
    const session = await seen;
    peer.pause();
    const payload = new Uint8Array(64 * 1024).fill(0x61);
    let sent = 0;
    let maxBuffered = 0;
    while (session.readyState === 1 && sent < 2000) {
      session.send(payload);
      sent++;
      maxBuffered = Math.max(maxBuffered, session.bufferedAmount);
    }
    expect(sent).toBeLessThan(2000);
    // Memory is bounded: the limit plus the one message that crossed it.
    expect(maxBuffered).toBeLessThanOrEqual(maxBufferedAmount + payload.length + 64);
    expect(session.readyState).toBe(2); // closing: our 1008 is queued
    expect(() => session.send('more')).toThrow(UsageError);
    // The reader wakes up: every queued message, then the close frame with 1008.
    peer.resume();
    const decoder = new FrameDecoder({ role: 'client', maxFrameSize: 1024 * 1024, allowedRsv: {} });
    let fed = headLength;
    let dataFrames = 0;
    let closeCode: number | undefined;
    await peer.until(() => {
      const bytes = peer.received();
      if (bytes.length > fed) {
        decoder.push(bytes.slice(fed));
        fed = bytes.length;
      }
      for (let item = decoder.read(); item !== undefined; item = decoder.read()) {
        if (item.type !== 'frame') throw new Error(`unexpected ${item.type}`);
        if (item.frame.opcode === 0x2) dataFrames++;
        if (item.frame.opcode === 0x8) closeCode = (item.frame.payload[0]! << 8) | item.frame.payload[1]!;
      }
      return closeCode !== undefined;
    }, 10_000);
    expect(closeCode).toBe(1008);
    expect(dataFrames).toBe(sent); // nothing silently dropped
  });

  it('a slow consumer on the server pauses the Bun socket: the client sees backpressure, then gets everything in order', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, receiveHighWaterMessages: 4 });
    onCleanup(() => server.close({ timeout: 300 }));
    const { port } = await server.listen();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const got: number[] = [];
    server.on('connection', (ws) => {
      // Returning a promise holds reading until it settles (receive backpressure).
      ws.on('message', (data) => {
        got.push(new DataView((data as Uint8Array).buffer, (data as Uint8Array).byteOffset).getUint32(0));
        return gate;
      });
    });
    const client = await connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, maxBufferedAmount: 256 * 1024 * 1024 });
    const count = 400;
    let maxBuffered = 0;
    for (let i = 0; i < count; i++) {
      const message = new Uint8Array(64 * 1024);
      new DataView(message.buffer).setUint32(0, i);
      client.send(message);
      maxBuffered = Math.max(maxBuffered, client.bufferedAmount);
    }
    await Bun.sleep(100);
    expect(got.length).toBeLessThan(count / 4); // a few reads land before the pause takes hold
    // The server stopped reading, so the kernel buffers filled and our client queued the rest.
    expect(client.bufferedAmount).toBeGreaterThan(1024 * 1024);
    release();
    await within(
      (async () => {
        while (got.length < count) await Bun.sleep(5);
      })(),
      10_000,
      'every message',
    );
    expect(got).toEqual(Array.from({ length: count }, (_, i) => i));
    await within(client.drained(), 2000, 'client drained');
    client.close();
    await client.closed;
  });

  it('an abrupt end of the client is 1006 on the server', async () => {
    const { server, port } = await echoServer();
    const seen = nextConnection(server);
    const peer = await rawConnect(port);
    peer.write(upgradeRequest());
    const session = await seen;
    peer.destroy();
    expect(await within(session.closed, 3000, 'closed')).toEqual({ code: 1006, reason: '', wasClean: false });
  });

  it('terminate() on the server is 1006 for our client', async () => {
    const { server, port } = await echoServer();
    const seen = nextConnection(server);
    const client = await connect(`ws://127.0.0.1:${port}/`);
    (await seen).terminate();
    expect(await within(client.closed, 3000, 'client closed')).toEqual({ code: 1006, reason: '', wasClean: false });
  });

  it('a half-closed client (FIN without a close frame) is 1006, and the socket is released', async () => {
    const { server, port } = await echoServer();
    const seen = nextConnection(server);
    const peer = await rawConnect(port);
    peer.write(upgradeRequest());
    const session: Session = await seen;
    peer.end();
    expect((await within(session.closed, 3000, 'closed')).code).toBe(1006);
    await within(peer.closed, 3000, 'socket released');
  });
});
