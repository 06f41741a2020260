// The opening handshake on every adapter's server (RFC 6455 §4.2): the
// accept hook (sync, async, throwing), origin allow-list, bearer tokens,
// subprotocol selection, path filter, connection limit, bad requests, the
// handshake deadline, and frames that arrive with the request head.
import assert from 'node:assert/strict';
import { nextConnection, scenario, until, within, type AdapterFixture, type HandshakeStatusErrorLike, type RequestLike } from './fixture.js';
import { maskedFrame, rawConnect, rawResponse, upgradeRequest } from './raw-tcp.js';

/** The status line's code of a response head. */
function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1] ?? 0);
}

export function handshakeSuite(fixture: AdapterFixture): void {
  const { accept, allowOrigins, bearerToken, reject } = fixture.api;

  scenario(fixture, 'an origin outside the allow-list gets 403 before any upgrade; an allowed one gets in', async (t) => {
    const { server, port, url } = await t.echoServer({ accept: allowOrigins(['https://app.example']) });
    const rejected = new Promise<number>((resolve) => server.on('rejected', (status) => resolve(status)));
    assert.equal(statusOf(await rawResponse(port, upgradeRequest('/', { Origin: 'https://evil.example' }))), 403);
    assert.equal(await within(rejected, 5000, "the server's 'rejected' event"), 403);
    assert.equal(statusOf(await rawResponse(port, upgradeRequest('/', { Origin: 'https://app.example' }))), 101);
    const error = (await t.connectError(url, { origin: 'https://evil.example' })) as HandshakeStatusErrorLike;
    assert.ok(error instanceof fixture.api.HandshakeStatusError);
    assert.equal(error.status, 403);
    const good = await t.connect(url, { origin: 'https://app.example' });
    assert.equal(good.readyState, 1);
    assert.equal(server.connectionCount, 1, 'only the allowed origin holds a connection');
  });

  scenario(fixture, 'a missing or wrong bearer token gets 401 with WWW-Authenticate; a good one in the header or ?token= gets in', async (t) => {
    const { url } = await t.echoServer({ accept: bearerToken((token) => token === 's3cret', { queryParam: 'token' }) });
    const missing = (await t.connectError(url)) as HandshakeStatusErrorLike;
    assert.ok(missing instanceof fixture.api.HandshakeStatusError);
    assert.equal(missing.code, 'FW_ERR_HANDSHAKE_STATUS');
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    assert.equal(((await t.connectError(`${url}/?token=wrong`)) as HandshakeStatusErrorLike).status, 401);
    assert.equal(((await t.connectError(url, { headers: { Authorization: 'Bearer wrong' } })) as HandshakeStatusErrorLike).status, 401);
    const byQuery = await t.connect(`${url}/?token=s3cret`);
    const byHeader = await t.connect(url, { headers: { Authorization: 'Bearer s3cret' } });
    assert.deepEqual([byQuery.readyState, byHeader.readyState], [1, 1]);
  });

  scenario(fixture, 'an async hook sees the request and the peer, can pick a subprotocol, add 101 headers or refuse with a body', async (t) => {
    const seen: Array<RequestLike & { remote: string }> = [];
    const { port, url } = await t.echoServer({
      accept: async (request, context) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen.push({ ...request, remote: fixture.remoteAddress(context) });
        if (request.headers.get('x-team') !== 'blue') return reject(403, { body: 'blue only' });
        return accept({ protocol: request.protocols.at(-1)!, headers: { 'X-Welcome': 'yes' } });
      },
    });
    const upgrades: Array<{ status: number; welcome: string | undefined; protocol: string }> = [];
    const ws = await t.connect(`${url}/room?id=7`, {
      protocols: ['p1', 'p2'],
      origin: 'https://o.example',
      headers: { 'X-Team': 'blue' },
      onUpgrade: (response) => upgrades.push({ status: response.status, welcome: response.headers.get('x-welcome'), protocol: response.protocol }),
    });
    assert.deepEqual(upgrades, [{ status: 101, welcome: 'yes', protocol: 'p2' }]);
    assert.equal(ws.protocol, 'p2');
    const request = seen[0]!;
    assert.deepEqual(
      { path: request.path, query: request.query, origin: request.origin, protocols: request.protocols, team: request.headers.get('x-team'), remote: request.remote },
      { path: '/room', query: 'id=7', origin: 'https://o.example', protocols: ['p1', 'p2'], team: 'blue', remote: '127.0.0.1' },
    );
    const refused = await rawResponse(port, upgradeRequest('/', { 'X-Team': 'red' }));
    assert.equal(statusOf(refused), 403);
    assert.match(refused, /\r\n\r\nblue only$/);
    const error = (await t.connectError(url)) as HandshakeStatusErrorLike;
    assert.equal(error.status, 403);
    assert.equal(new TextDecoder().decode(error.body), 'blue only');
  });

  scenario(fixture, 'a hook that throws or rejects answers 500 and the server keeps serving', async (t) => {
    const { port } = await t.echoServer({
      accept: async (request) => {
        if (request.path === '/boom') throw new Error('database down');
        return accept();
      },
    });
    assert.equal(statusOf(await rawResponse(port, upgradeRequest('/boom'))), 500);
    assert.equal(statusOf(await rawResponse(port, upgradeRequest('/fine'))), 101);
    const throwing = await t.listen({
      accept: () => {
        throw new Error('hook bug');
      },
    });
    assert.equal(statusOf(await rawResponse(throwing.port)), 500);
  });

  scenario(fixture, 'the subprotocol is chosen by server preference among the offers; none when nothing matches', async (t) => {
    const { server, url } = await t.echoServer({ protocols: ['chat.v2', 'chat.v1'] });
    const seen = nextConnection(server);
    const ws = await t.connect(url, { protocols: ['chat.v1', 'chat.v2'] });
    assert.equal(ws.protocol, 'chat.v2');
    assert.equal((await seen).protocol, 'chat.v2');
    const other = await t.connect(url, { protocols: ['mqtt'] });
    assert.equal(other.protocol, '', 'no Sec-WebSocket-Protocol when the server speaks none of the offers');
    const none = await t.connect(url);
    assert.equal(none.protocol, '');
  });

  scenario(fixture, 'only the configured paths are served (404 elsewhere, the query ignored)', async (t) => {
    const { port } = await t.echoServer({ path: ['/live', '/feed'] });
    assert.equal(statusOf(await rawResponse(port, upgradeRequest('/live?x=1'))), 101);
    assert.equal(statusOf(await rawResponse(port, upgradeRequest('/feed'))), 101);
    assert.equal(statusOf(await rawResponse(port, upgradeRequest('/other'))), 404);
  });

  scenario(fixture, 'past maxConnections the next client gets 503 before any upgrade', async (t) => {
    const { server, url } = await t.echoServer({ maxConnections: 2 });
    await t.connect(url);
    await t.connect(url);
    const error = (await t.connectError(url)) as HandshakeStatusErrorLike;
    assert.equal(error.status, 503);
    assert.equal(server.connectionCount, 2);
  });

  scenario(fixture, 'a request that is not an upgrade gets 400; a wrong version 426 with Sec-WebSocket-Version: 13', async (t) => {
    const { port } = await t.echoServer();
    assert.match(await rawResponse(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 (400|426) /);
    const wrongVersion = await rawResponse(port, upgradeRequest('/').replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8'));
    assert.equal(statusOf(wrongVersion), 426);
    assert.match(wrongVersion, /\r\nsec-websocket-version: 13\r\n/i);
  });

  scenario(fixture, 'a client that never finishes its request is dropped after handshakeTimeout (slowloris)', async (t) => {
    const { server, port } = await t.echoServer({ handshakeTimeout: 300 });
    const peer = await rawConnect(port);
    t.defer(() => peer.destroy());
    peer.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webso');
    const ms = await within(peer.closed, 5000, 'dropped by the handshake deadline');
    assert.ok(ms >= 250 && ms < 3000, `dropped after ${ms} ms`);
    assert.equal(peer.text(), '', 'dropped without an answer');
    await until(() => server.pendingCount === 0, 2000, 'the pending handshake released');
    assert.equal(server.connectionCount, 0);
  });

  scenario(fixture, 'frames that arrive in the same write as the request head are not lost', async (t) => {
    const { port } = await t.echoServer();
    const peer = await rawConnect(port);
    t.defer(() => peer.destroy());
    const request = new TextEncoder().encode(upgradeRequest());
    const frame = maskedFrame(0x1, new TextEncoder().encode('early'));
    const both = new Uint8Array(request.length + frame.length);
    both.set(request);
    both.set(frame, request.length);
    peer.write(both);
    // The echo of 'early' follows the 101: an unmasked text frame (RFC 6455 §5.7).
    const text = await peer.until((received) => received.endsWith('\x81\x05early'), 5000, "the echo of 'early'");
    assert.equal(statusOf(text), 101);
    peer.write(maskedFrame(0x1, new TextEncoder().encode('after')));
    await peer.until((received) => received.endsWith('\x81\x05after'), 5000, "the echo of 'after'");
  });
}
