// The raw-TCP server and client on Deno: echo, accept hook, subprotocols,
// permessage-deflate, limits, handshake timeout, graceful shutdown, abrupt
// close, the fetch fallback and 426. The same behaviours the Node adapter tests.
import assert from 'node:assert/strict';
import { ConnectError, HandshakeStatusError, accept, bearerToken, connect, reject, released, type Session } from '../src/index.ts';
import { RawClient, clientFrame, closeSession, delay, echo, once, startServer, upgradeRequest, waitFor } from './helpers.ts';

Deno.test('echoes text and binary with their types, with permessage-deflate negotiated', async () => {
  const { server, url } = await startServer({ perMessageDeflate: true });
  echo(server);
  const ws = await connect(url);
  assert.match(ws.extensions, /permessage-deflate/);
  const got: Array<[unknown, boolean]> = [];
  ws.on('message', (data, isBinary) => void got.push([data, isBinary]));
  ws.send('héllo');
  ws.send(new Uint8Array([1, 2, 3]));
  ws.send('x'.repeat(100_000));
  await waitFor(() => got.length === 3);
  assert.deepEqual(got[0], ['héllo', false]);
  assert.deepEqual(got[1], [new Uint8Array([1, 2, 3]), true]);
  assert.equal(got[2]![0], 'x'.repeat(100_000));
  await closeSession(ws);
  await server.close();
});

Deno.test('a 4 MiB binary message round-trips unchanged through reads that grow their buffer', async () => {
  const { server, url } = await startServer({ maxPayload: 8 * 1024 * 1024 });
  echo(server);
  const ws = await connect(url, { perMessageDeflate: false, maxPayload: 8 * 1024 * 1024 });
  const payload = new Uint8Array(4 * 1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) & 0xff;
  ws.send(payload.slice());
  const [data] = await once<[Uint8Array, boolean]>(ws, 'message');
  assert.equal(data.length, payload.length);
  assert.ok(data.every((b, i) => b === payload[i]));
  await closeSession(ws);
  await server.close();
});

Deno.test('accept hook: 403 from an origin policy, 401 with WWW-Authenticate from bearerToken', async () => {
  const { server, url } = await startServer({
    accept: (request, context) => {
      assert.equal(context.remoteAddr.hostname, '127.0.0.1');
      if (request.path === '/private') return bearerToken((token) => token === 'sesame')(request);
      return request.origin === 'https://good.example' ? accept() : reject(403);
    },
  });
  echo(server);
  await assert.rejects(connect(`${url}/`, { origin: 'https://evil.example' }), (error: unknown) => {
    assert.ok(error instanceof HandshakeStatusError);
    assert.equal(error.status, 403);
    return true;
  });
  await assert.rejects(connect(`${url}/private`), (error: unknown) => {
    assert.ok(error instanceof HandshakeStatusError);
    assert.equal(error.status, 401);
    assert.equal(error.headers['www-authenticate'], 'Bearer');
    return true;
  });
  const ws = await connect(`${url}/private`, { headers: { Authorization: 'Bearer sesame' } });
  assert.equal(ws.readyState, 1);
  await closeSession(ws);
  const good = await connect(`${url}/`, { origin: 'https://good.example' });
  await closeSession(good);
  await server.close();
});

Deno.test('subprotocol chosen by server preference; the client sees it', async () => {
  const { server, url } = await startServer({ protocols: ['chat.v2', 'chat.v1'] });
  echo(server);
  const ws = await connect(url, { protocols: ['chat.v1', 'chat.v2'] });
  assert.equal(ws.protocol, 'chat.v2');
  await closeSession(ws);
  await server.close();
});

Deno.test('handshake timeout: a client that sends half a request is dropped', async () => {
  const { server, port } = await startServer({ handshakeTimeout: 200 });
  const raw = await RawClient.open(port);
  await raw.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  const started = Date.now();
  await raw.done;
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 150 && elapsed < 3000, `dropped after ${elapsed} ms`);
  assert.equal(raw.text, '');
  raw.close();
  await server.close();
});

Deno.test('client handshake timeout: a server that never answers fails with FW_ERR_HANDSHAKE_TIMEOUT', async () => {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for (;;) conns.push(await listener.accept());
    } catch {
      // listener closed
    }
  })();
  await assert.rejects(connect(`ws://127.0.0.1:${listener.addr.port}/`, { handshakeTimeout: 300 }), (error: unknown) => {
    assert.ok(error instanceof ConnectError);
    assert.equal(error.code, 'FW_ERR_HANDSHAKE_TIMEOUT');
    return true;
  });
  listener.close();
  await accepting;
  for (const c of conns) c.close();
});

Deno.test('connect failures have stable codes: refused, bad URL', async () => {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assert.rejects(connect(`ws://127.0.0.1:${port}/`), (error: unknown) => (error as ConnectError).code === 'FW_ERR_CONNECTION_FAILED');
  await assert.rejects(connect('ftp://127.0.0.1/'), (error: unknown) => (error as ConnectError).code === 'FW_ERR_INVALID_URL');
});

Deno.test('maxConnections: the next client gets 503 before any upgrade', async () => {
  const { server, url } = await startServer({ maxConnections: 1 });
  echo(server);
  const first = await connect(url);
  await assert.rejects(connect(url), (error: unknown) => (error as HandshakeStatusError).status === 503);
  await closeSession(first);
  await server.close();
});

Deno.test('maxPayload: a larger message closes with 1009', async () => {
  const { server, url } = await startServer({ maxPayload: 1024 });
  echo(server);
  const ws = await connect(url, { perMessageDeflate: false });
  ws.on('error', () => {});
  ws.send(new Uint8Array(2048));
  const info = await ws.closed;
  assert.equal(info.code, 1009);
  await released(ws);
  await server.close();
});

Deno.test('graceful shutdown: every client gets 1001, close() resolves once all sockets are released', async () => {
  const { server, url } = await startServer();
  echo(server);
  const clients = await Promise.all([connect(url), connect(url), connect(url)]);
  await waitFor(() => server.connectionCount === 3);
  const closing = server.close({ timeout: 2000 });
  const infos = await Promise.all(clients.map((c) => c.closed));
  for (const info of infos) {
    assert.equal(info.code, 1001);
    assert.equal(info.wasClean, true);
  }
  await closing;
  assert.equal(server.connectionCount, 0);
  await Promise.all(clients.map((c) => released(c)));
  // A new connection is refused after close.
  await assert.rejects(connect(url), (error: unknown) => (error as ConnectError).code === 'FW_ERR_CONNECTION_FAILED');
});

Deno.test('abrupt close: a client that drops its TCP connection is reported as 1006 on the server', async () => {
  const { server, port } = await startServer();
  const connected = once<[Session]>(server, 'connection');
  const raw = await RawClient.open(port);
  await raw.write(upgradeRequest('/'));
  const [session] = await connected;
  await waitFor(() => raw.text.includes('101 Switching Protocols'));
  raw.close();
  const info = await session.closed;
  assert.equal(info.code, 1006);
  assert.equal(info.wasClean, false);
  await released(session);
  await server.close();
});

Deno.test('terminate() on the server side is 1006 on the client', async () => {
  const { server, url } = await startServer();
  server.on('connection', (ws) => ws.terminate());
  const ws = await connect(url);
  const info = await ws.closed;
  assert.equal(info.code, 1006);
  await released(ws);
  await server.close();
});

Deno.test('bytes that follow the request in the same write are not lost', async () => {
  const { server, port } = await startServer();
  const got = new Promise<string>((resolve) => server.on('connection', (ws) => ws.once('message', (data) => resolve(String(data)))));
  const raw = await RawClient.open(port);
  const frame = clientFrame(0x1, new TextEncoder().encode('early'));
  const request = new TextEncoder().encode(upgradeRequest('/'));
  const both = new Uint8Array(request.length + frame.length);
  both.set(request);
  both.set(frame, request.length);
  await raw.write(both);
  assert.equal(await got, 'early');
  raw.close();
  await raw.done;
  await server.close();
});

Deno.test('plain HTTP without a fetch handler: 426 with Upgrade: websocket and Sec-WebSocket-Version: 13', async () => {
  const { server, port } = await startServer();
  const response = await fetch(`http://127.0.0.1:${port}/page`);
  assert.equal(response.status, 426);
  assert.equal(response.headers.get('upgrade'), 'websocket');
  assert.equal(response.headers.get('sec-websocket-version'), '13');
  await response.body?.cancel();
  await server.close();
});

Deno.test('plain HTTP goes to the fetch handler (method, path, headers, body in; status, headers, body out)', async () => {
  const { server, port } = await startServer({
    fetch: async (request, info) => {
      const body = await request.text();
      return new Response(`${request.method} ${new URL(request.url).pathname} ${request.headers.get('x-test')} ${body} ${info.remoteAddr.hostname}`, {
        status: 201,
        headers: { 'x-answer': '42' },
      });
    },
  });
  echo(server);
  const response = await fetch(`http://127.0.0.1:${port}/submit?q=1`, { method: 'POST', body: 'payload', headers: { 'x-test': 'yes' } });
  assert.equal(response.status, 201);
  assert.equal(response.headers.get('x-answer'), '42');
  assert.equal(await response.text(), 'POST /submit yes payload 127.0.0.1');
  // WebSocket upgrades on the same port still work.
  const ws = await connect(`ws://127.0.0.1:${port}/`);
  await closeSession(ws);
  await server.close();
});

Deno.test('a fetch handler that throws answers 500; an oversized body 413', async () => {
  const { server, port } = await startServer({
    maxBodyBytes: 10,
    fetch: () => {
      throw new Error('boom');
    },
  });
  const failed = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(failed.status, 500);
  await failed.body?.cancel();
  const big = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x'.repeat(100) });
  assert.equal(big.status, 413);
  await big.body?.cancel();
  await server.close();
});

Deno.test('heartbeat: ping/pong with payload, and the close handshake from the client side', async () => {
  const { server, url } = await startServer();
  const pings = new Promise<Uint8Array>((resolve) => server.on('connection', (ws) => ws.on('ping', resolve)));
  const ws = await connect(url);
  const pong = once<[Uint8Array]>(ws, 'pong');
  ws.ping('are you there');
  assert.equal(new TextDecoder().decode(await pings), 'are you there');
  assert.equal(new TextDecoder().decode((await pong)[0]), 'are you there');
  ws.close(4000, 'bye');
  const info = await ws.closed;
  // The close info is the server's answer: it echoes the code (RFC 6455 §5.5.1).
  assert.deepEqual({ code: info.code, wasClean: info.wasClean }, { code: 4000, wasClean: true });
  await released(ws);
  await server.close();
});

Deno.test('async iteration over a session', async () => {
  const { server, url } = await startServer();
  server.on('connection', async (ws) => {
    for await (const message of ws) {
      ws.send(`echo:${String(message)}`);
      if (message === 'last') ws.close();
    }
  });
  const ws = await connect(url);
  const got: string[] = [];
  ws.on('message', (data) => void got.push(String(data)));
  ws.send('a');
  ws.send('last');
  await ws.closed;
  assert.deepEqual(got, ['echo:a', 'echo:last']);
  await released(ws);
  await server.close();
});

Deno.test('an idle connection delivers nothing and holds no timer (sanitizers)', async () => {
  const { server, url } = await startServer();
  const ws = await connect(url);
  await delay(50);
  assert.equal(ws.readyState, 1);
  await closeSession(ws);
  await server.close();
});

Deno.test('invalid UTF-8 in a text message closes with 1007 (native validator hook)', async () => {
  const { server, port } = await startServer();
  const connected = once<[Session]>(server, 'connection');
  const raw = await RawClient.open(port);
  await raw.write(upgradeRequest('/'));
  const [session] = await connected;
  session.on('error', () => {});
  await raw.write(clientFrame(0x1, new Uint8Array([0x68, 0xc3, 0x28])));
  // Our close frame carries 1007 (0x03ef) to the client.
  const closeFrame = (): boolean => {
    const bytes = raw.bytes;
    const at = bytes.lastIndexOf(0x88);
    return at > 0 && bytes[at + 2] === 0x03 && bytes[at + 3] === 0xef;
  };
  await waitFor(closeFrame, 5000, 'a close frame with 1007');
  raw.close();
  await raw.done;
  assert.equal((await session.closed).code, 1007);
  await released(session);
  await server.close();
});
