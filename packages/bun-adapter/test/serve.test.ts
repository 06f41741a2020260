// The Bun.serve path (BunServeUpgrader over Bun's ServerWebSocket): one test
// per claim of the README's guarantees table.
import { describe, expect, expectTypeOf, test } from 'bun:test';
import {
  BunServeUpgrader,
  accept,
  allowOrigins,
  bearerToken,
  bunIdleTimeout,
  formatPrometheus,
  connect,
  isWebSocketRequest,
  reject,
  type BunServeSocket,
  type BunServeUpgraderOptions,
  type CloseInfo,
  type Session,
} from '../src/index.js';
import { onCleanup, rawConnect, useCleanup, within } from './helpers.js';

useCleanup();

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Bun.serve on 127.0.0.1 routing upgrades to a BunServeUpgrader; plain requests get 'plain'. */
function startServe<Data = unknown, Path extends string = string>(
  options: BunServeUpgraderOptions<Data, Path> = {},
  onConnection?: (ws: BunServeSocket<Data>) => void,
) {
  const upgrader = new BunServeUpgrader<Data, Path>(options);
  upgrader.on('connection', (ws) => {
    ws.on('error', () => {});
    if (onConnection !== undefined) onConnection(ws);
    else ws.on('message', (data, isBinary) => void (ws.readyState === 1 && ws.send(data, { binary: isBinary })));
  });
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request, srv) => (isWebSocketRequest(request) ? upgrader.upgrade(request, srv) : new Response('plain')),
    websocket: upgrader.websocket,
  });
  const stop = async (): Promise<void> => {
    await upgrader.close({ timeout: 500 });
    await server.stop(true);
  };
  onCleanup(stop);
  return { upgrader, port: server.port!, url: `ws://127.0.0.1:${server.port}` };
}

/** A hand-written upgrade request head. */
function upgradeHead(path = '/', extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
}

/** A masked client frame. */
function clientFrame(opcode: number, payload: Uint8Array, fin = true): Uint8Array {
  const mask = new Uint8Array([1, 2, 3, 4]);
  const len = payload.length;
  const head = len < 126 ? [(fin ? 0x80 : 0) | opcode, 0x80 | len] : len < 65536 ? [(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 0xff] : undefined;
  if (head === undefined) throw new Error('test frames stay under 64 KiB');
  const out = new Uint8Array(head.length + 4 + len);
  out.set(head, 0);
  out.set(mask, head.length);
  for (let i = 0; i < len; i++) out[head.length + 4 + i] = payload[i]! ^ mask[i % 4]!;
  return out;
}

function nextConnection<Data, Path extends string>(upgrader: BunServeUpgrader<Data, Path>): Promise<BunServeSocket<Data>> {
  return new Promise((resolve) => upgrader.once('connection', (ws) => resolve(ws)));
}

function closeOf(session: Session): Promise<CloseInfo> {
  return within(session.closed, 10_000, 'client close');
}

describe('BunServeUpgrader', () => {
  test('plain HTTP and WebSocket share the port', async () => {
    const { port, url } = startServe();
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('plain');
    const ws = await connect(url);
    ws.send('echo me');
    const [message] = await within(ws[Symbol.asyncIterator]().next().then((r) => [r.value]), 5000, 'echo');
    expect(message).toBe('echo me');
    ws.close(1000);
    expect((await closeOf(ws)).code).toBe(1000);
  });

  test('handshake: the codec checks the request first (426 + Sec-WebSocket-Version: 13 for another version)', async () => {
    const { port } = startServe();
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '8' },
    });
    expect(response.status).toBe(426);
    expect(response.headers.get('sec-websocket-version')).toBe('13');
    const bad = await fetch(`http://127.0.0.1:${port}/`, {
      headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'short', 'Sec-WebSocket-Version': '13' },
    });
    expect(bad.status).toBe(400);
  });

  test('accept hook: 403 from allowOrigins, 401 + WWW-Authenticate from bearerToken, before any upgrade', async () => {
    const forbidden = startServe({ accept: allowOrigins(['https://good.example']) });
    const peer = await rawConnect(forbidden.port);
    peer.write(upgradeHead('/', 'Origin: https://evil.example\r\n'));
    expect(await peer.until((t) => t.includes('\r\n\r\n'))).toStartWith('HTTP/1.1 403');
    const auth = startServe({ accept: bearerToken((token) => token === 'sesame') });
    const response = await fetch(`http://127.0.0.1:${auth.port}/`, {
      headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
    const ws = await connect(auth.url, { headers: { Authorization: 'Bearer sesame' } });
    ws.close(1000);
  });

  test('async accept hook: data lands as socket.data, request.params and remoteAddress reach the hook', async () => {
    const seen: { address: string | undefined; id: string }[] = [];
    const { upgrader, url } = startServe({
      path: '/rooms/:id',
      accept: async (request) => {
        await Bun.sleep(20); // a token lookup
        seen.push({ address: request.remoteAddress, id: request.params.id });
        return accept({ data: { user: 'ada', room: request.params.id } });
      },
    });
    expectTypeOf(upgrader).toEqualTypeOf<BunServeUpgrader<{ user: string; room: string }, '/rooms/:id'>>();
    const opened = nextConnection(upgrader);
    const ws = await connect(`${url}/rooms/42`);
    const socket = await within(opened, 5000, 'connection');
    expectTypeOf(socket.data).toEqualTypeOf<{ user: string; room: string }>();
    expect(socket.data).toEqual({ user: 'ada', room: '42' });
    expect(seen).toEqual([{ address: '127.0.0.1', id: '42' }]);
    ws.close(1000);
  });

  test('accept hook headers reach the 101 response; other paths 404', async () => {
    const { port } = startServe({ path: '/ws', accept: () => accept({ headers: { 'Set-Cookie': 'sid=1' } }) });
    const peer = await rawConnect(port);
    peer.write(upgradeHead('/ws'));
    const head = await peer.until((t) => t.includes('\r\n\r\n'));
    expect(head).toStartWith('HTTP/1.1 101');
    expect(head.toLowerCase()).toContain('set-cookie: sid=1');
    const other = await rawConnect(port);
    other.write(upgradeHead('/elsewhere'));
    expect(await other.until((t) => t.includes('\r\n\r\n'))).toStartWith('HTTP/1.1 404');
  });

  test('accept hook: a reject with status and body, a throwing hook is 500, a hook past handshakeTimeout is 503', async () => {
    const refused = startServe({ accept: () => reject(418, { body: 'teapot' }) });
    const r1 = await fetch(`http://127.0.0.1:${refused.port}/`, { headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13' } });
    expect(r1.status).toBe(418);
    expect(await r1.text()).toBe('teapot');
    const throwing = startServe({ accept: () => { throw new Error('boom'); } });
    const r2 = await fetch(`http://127.0.0.1:${throwing.port}/`, { headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13' } });
    expect(r2.status).toBe(500);
    const slow = startServe({ handshakeTimeout: 200, accept: () => new Promise(() => {}) });
    const r3 = await fetch(`http://127.0.0.1:${slow.port}/`, { headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13' } });
    expect(r3.status).toBe(503);
  });

  test('subprotocol: chosen by server preference; none when nothing matches (Bun would echo the first offer)', async () => {
    const { url } = startServe({ protocols: ['chat.v2', 'chat.v1'] });
    const ws = await connect(url, { protocols: ['chat.v1', 'chat.v2'] });
    expect(ws.protocol).toBe('chat.v2');
    ws.close(1000);
    const { port } = startServe({ protocols: ['x'] });
    const peer = await rawConnect(port);
    peer.write(upgradeHead('/', 'Sec-WebSocket-Protocol: other\r\n'));
    const head = await peer.until((t) => t.includes('\r\n\r\n'));
    expect(head).toStartWith('HTTP/1.1 101');
    expect(head.toLowerCase()).not.toContain('sec-websocket-protocol');
  });

  test('maxConnections: 503 before the upgrade', async () => {
    const { url, port } = startServe({ maxConnections: 1 });
    const first = await connect(url);
    const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13' } });
    expect(response.status).toBe(503);
    first.close(1000);
  });

  test('maxPayload: a larger message closes with 1009, on both sides', async () => {
    const { upgrader, url } = startServe({ maxPayload: 1000 });
    const opened = nextConnection(upgrader);
    const ws = await connect(url);
    const socket = await opened;
    ws.send('x'.repeat(2000));
    expect((await closeOf(ws)).code).toBe(1009);
    expect((await within(socket.closed, 5000, 'server close')).code).toBe(1009);
  });

  test('maxBufferedAmount: a send past the limit closes with 1008', async () => {
    const { upgrader, port } = startServe({ maxBufferedAmount: 256 * 1024, highWaterMark: 64 * 1024 }, () => {});
    const opened = nextConnection(upgrader);
    const peer = await rawConnect(port);
    peer.write(upgradeHead());
    await peer.until((t) => t.includes('\r\n\r\n'));
    peer.pause(); // a peer that does not read
    const socket = await within(opened, 5000, 'connection');
    const chunk = new Uint8Array(64 * 1024);
    let sawFalse = false;
    for (let i = 0; i < 2000 && socket.readyState === 1; i++) if (!socket.send(chunk)) sawFalse = true;
    expect(sawFalse).toBe(true);
    expect(socket.readyState).toBeGreaterThanOrEqual(2);
    peer.destroy();
    const info = await within(socket.closed, 10_000, 'server close');
    expect([1008, 1006]).toContain(info.code); // 1008 sent; a peer destroyed before the close frame ends as 1006
  });

  test('backpressure: send() returns false at highWaterMark and drained() resolves once Bun wrote it out', async () => {
    const { upgrader, url } = startServe({ highWaterMark: 16 * 1024 }, () => {});
    const opened = nextConnection(upgrader);
    const ws = await connect(url);
    const socket = await opened;
    let received = 0;
    ws.on('message', (data) => void (received += (data as Uint8Array).byteLength));
    let sent = 0;
    for (let i = 0; i < 200; i++) {
      sent += 64 * 1024;
      if (!socket.send(new Uint8Array(64 * 1024))) await within(socket.drained(), 10_000, 'drain');
    }
    await within((async () => { while (received < sent) await Bun.sleep(10); })(), 20_000, 'all bytes');
    expect(received).toBe(sent);
    ws.close(1000);
  });

  test('receive backpressure: a message listener returning a promise pauses reading and keeps order', async () => {
    const order: string[] = [];
    const { upgrader, url } = startServe({}, (ws) =>
      ws.on('message', async (data) => {
        order.push(data as string);
        await Bun.sleep(5);
      }),
    );
    const opened = nextConnection(upgrader);
    const ws = await connect(url);
    const socket = await opened;
    for (let i = 0; i < 50; i++) ws.send(String(i));
    await within((async () => { while (order.length < 50) await Bun.sleep(10); })(), 10_000, '50 messages');
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    await within((async () => { while (socket.socket.isPaused) await Bun.sleep(5); })(), 5000, 'reading resumed');
    ws.close(1000);
  });

  test('topics: publish reaches subscribers (Bun native fan-out), except leaves one out, unsubscribe stops it', async () => {
    const { upgrader, url } = startServe({}, (ws) => void ws.subscribe('room'));
    const sockets: BunServeSocket[] = [];
    upgrader.on('connection', (ws) => sockets.push(ws));
    const clients = await Promise.all([connect(url), connect(url), connect(url)]);
    await within((async () => { while (upgrader.subscriberCount('room') < 3) await Bun.sleep(5); })(), 5000, 'subscribed');
    const got = clients.map(() => [] as unknown[]);
    clients.forEach((c, i) => c.on('message', (data) => void got[i]!.push(data)));
    expect(upgrader.publish('room', 'all')).toBe(3);
    expect(upgrader.publish('room', 'not you', { except: sockets[0]! })).toBe(2);
    expect(sockets[1]!.unsubscribe('room')).toBe(true);
    expect(sockets[1]!.isSubscribed('room')).toBe(false);
    upgrader.publish('room', 'last');
    await within((async () => { while (got[2]!.length < 3) await Bun.sleep(5); })(), 5000, 'published');
    await Bun.sleep(50);
    expect(got).toEqual([['all', 'last'], ['all', 'not you'], ['all', 'not you', 'last']]);
    expect(() => upgrader.publish('', 'x')).toThrow();
    for (const c of clients) c.close(1000);
  });

  test('graceful shutdown: 1001 to EVERY client (50 clients), new upgrades get 503', async () => {
    const { upgrader, url, port } = startServe();
    const clients = await Promise.all(Array.from({ length: 50 }, () => connect(url)));
    await within((async () => { while (upgrader.connectionCount < 50) await Bun.sleep(5); })(), 5000, '50 connections');
    const closing = upgrader.close({ timeout: 5000 });
    const infos = await Promise.all(clients.map(closeOf));
    expect(infos.every((info) => info.code === 1001)).toBe(true);
    await closing;
    const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13' } });
    expect(response.status).toBe(503);
  });

  test('close reasons are cut to 123 UTF-8 bytes on a character boundary; a longer API reason throws', async () => {
    const { upgrader, url } = startServe({}, () => {});
    const opened = nextConnection(upgrader);
    const ws = await connect(url);
    const socket = await opened;
    expect(() => socket.close(1000, 'x'.repeat(124))).toThrow();
    socket.goingAway('é'.repeat(100));
    const info = await closeOf(ws);
    expect(info.code).toBe(1001);
    expect(new TextEncoder().encode(info.reason).length).toBeLessThanOrEqual(123);
    expect(info.reason).toBe('é'.repeat(61));
  });

  test('abrupt close by the client is reported as 1006', async () => {
    const { upgrader, port } = startServe({}, () => {});
    const opened = nextConnection(upgrader);
    const peer = await rawConnect(port);
    peer.write(upgradeHead());
    await peer.until((t) => t.includes('\r\n\r\n'));
    const socket = await within(opened, 5000, 'connection');
    peer.destroy();
    const info = await within(socket.closed, 10_000, 'server close');
    expect(info.code).toBe(1006);
    expect(info.wasClean).toBe(false);
  });

  test('async iteration and held messages; ping/pong events; fin: false throws', async () => {
    const { upgrader, port } = startServe({}, () => {});
    const opened = nextConnection(upgrader);
    const peer = await rawConnect(port);
    peer.write(upgradeHead());
    await peer.until((t) => t.includes('\r\n\r\n'));
    const socket = await within(opened, 5000, 'connection');
    const pings: Uint8Array[] = [];
    socket.on('ping', (data) => void pings.push(data));
    peer.write(clientFrame(0x1, new TextEncoder().encode('one')));
    peer.write(clientFrame(0x2, new Uint8Array([1, 2])));
    peer.write(clientFrame(0x9, new TextEncoder().encode('hb')));
    await Bun.sleep(100);
    const iterator = socket[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe('one');
    expect([...((await iterator.next()).value as Uint8Array)]).toEqual([1, 2]);
    expect(pings.map((p) => new TextDecoder().decode(p))).toEqual(['hb']);
    expect(() => socket.send('x', { fin: false })).toThrow();
    // Bun reports 0 bytes for an empty message: not a drop.
    expect(socket.send('')).toBe(true);
    expect(socket.send(new Uint8Array(0))).toBe(true);
    expect(socket.readyState).toBe(1);
    socket.close(1000);
    peer.write(clientFrame(0x8, new Uint8Array([0x03, 0xe8])));
    expect((await within(socket.closed, 5000, 'close')).code).toBe(1000);
    expect((await iterator.next()).done).toBe(true);
  });

  test('heartbeat: mapped onto Bun idleTimeout (8..960 s); a peer that never answers pings is dropped', async () => {
    expect(bunIdleTimeout({ interval: 30_000, timeout: 60_000 })).toBe(90);
    expect(bunIdleTimeout({ interval: 1000, timeout: 1000 })).toBe(8);
    expect(bunIdleTimeout({ interval: 900_000, timeout: 900_000 })).toBe(960);
    expect(bunIdleTimeout(false)).toBe(0);
    const { upgrader, port } = startServe({ heartbeat: { interval: 1000, timeout: 1000 } }, () => {});
    const opened = nextConnection(upgrader);
    const peer = await rawConnect(port);
    peer.write(upgradeHead());
    await peer.until((t) => t.includes('\r\n\r\n'));
    const socket = await within(opened, 5000, 'connection');
    const started = Date.now();
    // A silent raw peer: it reads Bun's ping but never answers it.
    const info = await within(socket.closed, 30_000, 'idle drop');
    expect(Date.now() - started).toBeGreaterThan(5000);
    expect(info.wasClean).toBe(false);
    expect(peer.received().includes(0x89)).toBe(true); // Bun's ping reached the peer first
  }, 40_000);
});

describe('BunServeUpgrader.metrics()', () => {
  test('counts connections, refusals, messages, payload bytes and close codes; formats for Prometheus', async () => {
    const { upgrader, url } = startServe({ path: '/ws', accept: (request) => (request.query === 'no' ? reject(403) : accept()) });
    const client = await connect(`${url}/ws`);
    const echoed = new Promise((resolve) => client.once('message', resolve));
    client.send('héllo'); // 6 bytes of UTF-8
    await within(echoed, 5000, 'the echo');
    await connect(`${url}/ws?no`).then(
      () => expect.unreachable('refused by the hook'),
      () => undefined,
    );
    await connect(`${url}/other`).then(
      () => expect.unreachable('no route'),
      () => undefined,
    );
    const open = upgrader.metrics();
    expect(open).toMatchObject({ connections: 1, connectionsTotal: 1, messagesIn: 1, messagesOut: 1, bytesIn: 6, bytesOut: 6 });
    expect(open.handshakesRefused.map((r) => r.status).sort()).toEqual([403, 404]);
    client.close(4001);
    await within(client.closed, 5000, 'the close');
    for (let i = 0; i < 50 && upgrader.metrics().connections > 0; i++) await Bun.sleep(10);
    const after = upgrader.metrics();
    expect(after).toMatchObject({ connections: 0, connectionsTotal: 1, messagesIn: 1, bytesIn: 6, closeCodes: [{ code: 4001, count: 1 }] });
    expect(after.deflate).toEqual({ inCompressed: 0, inUncompressed: 0, outUncompressed: 0, outCompressed: 0 });
    const text = formatPrometheus(after, { server: 'bun-serve' });
    expect(text).toContain('framewire_messages_received_total{server="bun-serve"} 1\n');
    expect(text).toContain('framewire_closes_total{server="bun-serve",code="4001"} 1\n');
  });
});
