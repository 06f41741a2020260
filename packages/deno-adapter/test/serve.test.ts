// The Deno.serve path (ServeUpgrader over Deno.upgradeWebSocket): one test per
// claim of the README's guarantees table.
import assert from 'node:assert/strict';
import {
  ConnectError,
  HandshakeStatusError,
  ServeUpgrader,
  UsageError,
  accept,
  allowOrigins,
  bearerToken,
  connect,
  isWebSocketRequest,
  reject,
  released,
  type ServeSocket,
  type ServeUpgraderOptions,
  type Session,
} from '../src/index.ts';
import { RawClient, clientFrame, closeSession, delay, once, upgradeRequest, waitFor } from './helpers.ts';

/** Deno.serve on 127.0.0.1 routing upgrades to a ServeUpgrader; plain requests get 'plain'. */
async function startServe(options: ServeUpgraderOptions = {}, onConnection?: (ws: ServeSocket) => void) {
  const upgrader = new ServeUpgrader(options);
  upgrader.on('connection', (ws) => {
    ws.on('error', () => {});
    if (onConnection !== undefined) onConnection(ws);
    else ws.on('message', (data, isBinary) => void (ws.readyState === 1 && ws.send(data, { binary: isBinary })));
  });
  const abort = new AbortController();
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, signal: abort.signal, onListen: () => {} }, (request, info) =>
    isWebSocketRequest(request) ? upgrader.upgrade(request, info) : new Response('plain'),
  );
  const port = server.addr.port;
  return {
    upgrader,
    port,
    url: `ws://127.0.0.1:${port}`,
    stop: async () => {
      await upgrader.close({ timeout: 500 });
      abort.abort();
      await server.finished;
    },
  };
}

Deno.test('handshake: the codec checks the request first (426 + Sec-WebSocket-Version: 13 for another version)', async () => {
  const { port, stop } = await startServe();
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '8' },
  });
  assert.equal(response.status, 426);
  assert.equal(response.headers.get('sec-websocket-version'), '13');
  await response.body?.cancel();
  await stop();
});

Deno.test('accept hook: 403 from allowOrigins, 401 + WWW-Authenticate from bearerToken, before any upgrade', async () => {
  const origins = allowOrigins(['https://good.example']);
  const auth = bearerToken((token) => token === 'sesame');
  const { url, stop } = await startServe({ accept: (request) => (request.path === '/private' ? auth(request) : origins(request)) });
  await assert.rejects(connect(url, { origin: 'https://evil.example' }), (e: unknown) => (e as HandshakeStatusError).status === 403);
  await assert.rejects(connect(`${url}/private`), (e: unknown) => {
    assert.equal((e as HandshakeStatusError).status, 401);
    assert.equal((e as HandshakeStatusError).headers['www-authenticate'], 'Bearer');
    return true;
  });
  const ws = await connect(`${url}/private`, { headers: { Authorization: 'Bearer sesame' } });
  await closeSession(ws);
  await stop();
});

Deno.test('subprotocol: chosen by server preference among the offers', async () => {
  const { url, stop } = await startServe({ protocols: ['v2', 'v1'] });
  const ws = await connect(url, { protocols: ['v1', 'v2'] });
  assert.equal(ws.protocol, 'v2');
  await closeSession(ws);
  await stop();
});

Deno.test("accept hook headers reach the 101 response; other paths get 404", async () => {
  const { port, stop } = await startServe({ path: '/live', accept: () => accept({ headers: { 'X-Welcome': 'yes' } }) });
  const raw = await RawClient.open(port);
  await raw.write(upgradeRequest('/live'));
  await waitFor(() => raw.text.includes('\r\n\r\n'));
  assert.match(raw.text, /^HTTP\/1\.1 101/);
  assert.match(raw.text, /x-welcome: yes/i);
  raw.close();
  await raw.done;
  await assert.rejects(connect(`ws://127.0.0.1:${port}/elsewhere`), (e: unknown) => (e as HandshakeStatusError).status === 404);
  await stop();
});

Deno.test('maxConnections: 503 before the upgrade when full', async () => {
  const { url, stop } = await startServe({ maxConnections: 1 });
  const first = await connect(url);
  await waitFor(() => true);
  await assert.rejects(connect(url), (e: unknown) => (e as HandshakeStatusError).status === 503);
  await closeSession(first);
  await stop();
});

Deno.test('no permessage-deflate: an offer from the client is never accepted', async () => {
  const { url, stop } = await startServe();
  const ws = await connect(url, { perMessageDeflate: true });
  assert.equal(ws.extensions, '');
  await closeSession(ws);
  await stop();
});

Deno.test('maxPayload: a larger message closes with 1009 once Deno has received it whole', async () => {
  let serverSide: ServeSocket | undefined;
  const { url, stop } = await startServe({ maxPayload: 1000 }, (ws) => (serverSide = ws));
  const ws = await connect(url, { perMessageDeflate: false });
  ws.on('error', () => {});
  ws.send(new Uint8Array(999));
  ws.send(new Uint8Array(1001));
  const info = await ws.closed;
  assert.equal(info.code, 1009);
  assert.equal((await serverSide!.closed).code, 1009);
  await released(ws);
  await stop();
});

Deno.test("a frame over Deno's 64 MiB cap: Deno drops the connection without a close frame (1006)", async () => {
  const { url, stop } = await startServe({ maxPayload: 128 * 1024 * 1024 });
  const ws = await connect(url, { perMessageDeflate: false, maxBufferedAmount: 256 * 1024 * 1024 });
  ws.on('error', () => {});
  ws.send(new Uint8Array(64 * 1024 * 1024 + 1));
  const info = await ws.closed;
  assert.equal(info.code, 1006);
  await released(ws);
  await stop();
});

Deno.test('ping()/pong() throw on this path; no ping/pong events', async () => {
  let pings = 0;
  const connected = Promise.withResolvers<ServeSocket>();
  const { url, stop } = await startServe({}, (ws) => {
    ws.on('ping', () => pings++);
    ws.on('message', (data) => void ws.send(data));
    connected.resolve(ws);
  });
  const ws = await connect(url);
  const server = await connected.promise;
  assert.throws(() => server.ping('x'), UsageError);
  assert.throws(() => server.pong('x'), UsageError);
  ws.ping('hello?');
  ws.send('after ping');
  await once(ws, 'message');
  assert.equal(pings, 0);
  await closeSession(ws);
  await stop();
});

Deno.test("Deno answers a client's ping itself, echoing its payload", async () => {
  const { url, stop } = await startServe();
  const ws = await connect(url);
  const pong = once<[Uint8Array]>(ws, 'pong');
  ws.ping('payload 123');
  assert.equal(new TextDecoder().decode((await pong)[0]), 'payload 123');
  await closeSession(ws);
  await stop();
});

Deno.test('idleTimeout: Deno pings an idle client and closes when no pong comes', async () => {
  const { port, upgrader, stop } = await startServe({ idleTimeout: 1 });
  const raw = await RawClient.open(port);
  await raw.write(upgradeRequest('/'));
  await waitFor(() => upgrader.connectionCount === 1);
  const socket = [...upgrader.clients][0]!;
  // The raw client never answers: a ping (0x89) arrives, then the connection ends.
  await waitFor(() => raw.bytes.includes(0x89), 5000, 'a ping from Deno');
  const info = await socket.closed;
  assert.equal(info.code, 1001);
  assert.equal(info.reason, 'No response from ping frame.');
  assert.equal(info.wasClean, false);
  raw.close();
  await raw.done;
  await stop();
});

Deno.test('send backpressure: send() returns false at highWaterMark and drained() resolves (from Deno’s bufferedAmount)', async () => {
  const connected = Promise.withResolvers<ServeSocket>();
  const { url, stop } = await startServe({ highWaterMark: 64 * 1024 }, (ws) => connected.resolve(ws));
  const ws = await connect(url);
  let received = 0;
  ws.on('message', () => void received++);
  const server = await connected.promise;
  let sent = 0;
  let refused = false;
  while (sent < 200) {
    sent++;
    if (!server.send(new Uint8Array(256 * 1024))) {
      refused = true;
      break;
    }
  }
  assert.ok(refused, 'send() returned false');
  assert.ok(server.bufferedAmount >= 64 * 1024);
  await server.drained();
  assert.ok(server.bufferedAmount < 64 * 1024);
  await waitFor(() => received === sent, 10_000, 'every message');
  await closeSession(ws);
  await stop();
});

Deno.test('no receive backpressure: a pending message listener does not hold the next message', async () => {
  const calls: string[] = [];
  const { url, stop } = await startServe({}, (ws) => {
    ws.on('message', (data) => {
      calls.push(String(data));
      return new Promise(() => {}); // never settles
    });
  });
  const ws = await connect(url);
  ws.send('one');
  ws.send('two');
  await waitFor(() => calls.length === 2, 5000, 'both messages delivered');
  await closeSession(ws);
  await stop();
});

Deno.test('fragments cannot be sent (fin: false throws)', async () => {
  const connected = Promise.withResolvers<ServeSocket>();
  const { url, stop } = await startServe({}, (ws) => connected.resolve(ws));
  const ws = await connect(url);
  const server = await connected.promise;
  assert.throws(() => server.send('part', { fin: false }), UsageError);
  assert.throws(() => server.close(1001), UsageError, 'the API allows 1000 and 3000-4999 only');
  await closeSession(ws);
  await stop();
});

Deno.test('invalid UTF-8 in a text message: Deno drops the connection without a 1007 close frame (1006)', async () => {
  const { port, upgrader, stop } = await startServe();
  const raw = await RawClient.open(port);
  await raw.write(upgradeRequest('/'));
  await waitFor(() => upgrader.connectionCount === 1);
  const socket = [...upgrader.clients][0]!;
  await waitFor(() => raw.text.includes('\r\n\r\n'));
  const headLength = raw.text.indexOf('\r\n\r\n') + 4;
  await raw.write(clientFrame(0x1, new Uint8Array([0xc3, 0x28])));
  const info = await socket.closed;
  assert.equal(info.code, 1006);
  await raw.done;
  assert.equal(raw.bytes.length, headLength, 'no close frame after the 101 head');
  raw.close();
  await stop();
});

Deno.test('graceful shutdown: close() sends 1001 to every client', async () => {
  const { url, upgrader, stop } = await startServe();
  const clients = await Promise.all([connect(url), connect(url)]);
  await waitFor(() => upgrader.connectionCount === 2);
  const closing = upgrader.close({ timeout: 2000 });
  for (const info of await Promise.all(clients.map((c) => c.closed))) assert.equal(info.code, 1001);
  await closing;
  await Promise.all(clients.map((c) => released(c)));
  await stop();
});

Deno.test('abrupt close by the client is reported as 1006; terminate() reports 1006 at once', async () => {
  const { port, upgrader, url, stop } = await startServe();
  const raw = await RawClient.open(port);
  await raw.write(upgradeRequest('/'));
  await waitFor(() => upgrader.connectionCount === 1);
  const socket = [...upgrader.clients][0]!;
  raw.close();
  assert.equal((await socket.closed).code, 1006);
  await raw.done;
  const ws: Session = await connect(url);
  await waitFor(() => upgrader.connectionCount === 1);
  const second = [...upgrader.clients][0]!;
  second.terminate();
  assert.equal((await second.closed).code, 1006);
  await ws.closed;
  await released(ws);
  await stop();
});

Deno.test('async iteration and held messages work as on a Session', async () => {
  const { url, stop } = await startServe({}, async (ws) => {
    for await (const message of ws) ws.send(`got ${String(message)}`);
  });
  const ws = await connect(url);
  ws.send('a');
  const [reply] = await once<[string]>(ws, 'message');
  assert.equal(reply, 'got a');
  await closeSession(ws);
  await stop();
});

Deno.test('rejections from the hook are plain HTTP: a reject() body reaches the client', async () => {
  const { url, stop } = await startServe({ accept: () => reject(418, { body: 'teapot' }) });
  await assert.rejects(connect(url), (e: unknown) => {
    assert.ok(e instanceof ConnectError);
    assert.equal((e as HandshakeStatusError).status, 418);
    assert.equal(new TextDecoder().decode((e as HandshakeStatusError).body), 'teapot');
    return true;
  });
  await delay(0);
  await stop();
});
