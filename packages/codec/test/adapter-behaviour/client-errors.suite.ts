// Every adapter's connect() fails with a typed ConnectError whose stable
// `code` says why, against raw TCP servers that fail on purpose; onUpgrade
// sees the 101 and can still refuse it; local misuse throws a UsageError.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { nextConnection, nextMessage, scenario, within, type AdapterFixture, type HandshakeStatusErrorLike } from './fixture.js';
import { closedPort, rawServer } from './raw-tcp.js';

export function clientErrorsSuite(fixture: AdapterFixture): void {
  /** A raw server released after the test. */
  async function server(t: { defer(fn: () => unknown): void }, onSocket: (socket: Socket) => void): Promise<string> {
    const raw = await rawServer(onSocket);
    t.defer(() => raw.close());
    return `ws://127.0.0.1:${raw.port}/`;
  }

  scenario(fixture, 'FW_ERR_CONNECTION_FAILED when nothing listens (the cause is ECONNREFUSED); FW_ERR_INVALID_URL for a non-ws URL', async (t) => {
    const refused = await t.connectError(`ws://127.0.0.1:${await closedPort()}/`);
    assert.equal(refused.code, 'FW_ERR_CONNECTION_FAILED');
    assert.equal((refused.cause as { code?: string } | undefined)?.code, 'ECONNREFUSED');
    assert.equal((await t.connectError('ftp://127.0.0.1/')).code, 'FW_ERR_INVALID_URL');
  });

  scenario(fixture, 'a refused upgrade is a HandshakeStatusError with status, headers and body', async (t) => {
    const url = await server(t, (socket) =>
      socket.once('data', () => socket.end('HTTP/1.1 401 Unauthorized\r\nX-Why: token\r\nContent-Length: 7\r\nConnection: close\r\n\r\ngo away')),
    );
    const error = (await t.connectError(url)) as HandshakeStatusErrorLike;
    assert.ok(error instanceof fixture.api.HandshakeStatusError);
    assert.equal(error.code, 'FW_ERR_HANDSHAKE_STATUS');
    assert.equal(error.status, 401);
    assert.equal(error.headers['x-why'], 'token');
    assert.equal(new TextDecoder().decode(error.body), 'go away');
  });

  scenario(fixture, 'FW_ERR_HANDSHAKE_TIMEOUT when the server never answers', async (t) => {
    const url = await server(t, () => {});
    const started = Date.now();
    const error = await t.connectError(url, { handshakeTimeout: 300 });
    const elapsed = Date.now() - started;
    assert.equal(error.code, 'FW_ERR_HANDSHAKE_TIMEOUT');
    assert.ok(elapsed >= 250 && elapsed < 3000, `gave up after ${elapsed} ms`);
  });

  scenario(fixture, 'FW_ERR_ABORTED when the signal fires during the handshake, or had fired before', async (t) => {
    const url = await server(t, () => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const aborted = await t.connectError(url, { signal: controller.signal });
    assert.equal(aborted.code, 'FW_ERR_ABORTED');
    assert.ok(Date.now() - started < 3000, 'aborted promptly, not at the handshake deadline');
    assert.equal((await t.connectError(url, { signal: AbortSignal.abort() })).code, 'FW_ERR_ABORTED');
  });

  scenario(fixture, 'FW_ERR_CONNECTION_CLOSED when the server hangs up during the handshake', async (t) => {
    const url = await server(t, (socket) => socket.once('data', () => socket.end()));
    assert.equal((await t.connectError(url)).code, 'FW_ERR_CONNECTION_CLOSED');
  });

  scenario(fixture, 'FW_ERR_HANDSHAKE_INVALID for a 101 with a wrong Sec-WebSocket-Accept', async (t) => {
    const url = await server(t, (socket) =>
      socket.once('data', () =>
        socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n'),
      ),
    );
    assert.equal((await t.connectError(url)).code, 'FW_ERR_HANDSHAKE_INVALID');
  });

  scenario(fixture, 'onUpgrade sees the 101 before connect() resolves; if it throws, connect() rejects with that error and the server sees 1006', async (t) => {
    const { server: wss, url } = await t.echoServer({ accept: () => fixture.api.accept({ headers: { 'Set-Cookie': 'session=abc' } }) });
    const cookies: Array<string | undefined> = [];
    const ws = await t.connect(url, { onUpgrade: (response) => void cookies.push(response.headers.get('set-cookie')) });
    assert.deepEqual(cookies, ['session=abc']);
    assert.equal(ws.readyState, 1);

    const serverSide = nextConnection(wss);
    const refusal = new Error('no cookie for you');
    const outcome = await fixture.connect(url, {
      onUpgrade: () => {
        throw refusal;
      },
    }).then(
      () => 'connected',
      (error: unknown) => error,
    );
    assert.equal(outcome, refusal);
    assert.equal((await within((await serverSide).closed, 5000, 'the server side ends')).code, 1006);
  });

  scenario(fixture, 'local misuse (a Sec-WebSocket-Key header) throws a UsageError, not a ConnectError', async (t) => {
    const { url } = await t.echoServer();
    const outcome = await fixture.connect(url, { headers: { 'Sec-WebSocket-Key': 'x' } }).then(
      (ws) => (ws.terminate(), 'connected'),
      (error: unknown) => error,
    );
    assert.ok(outcome instanceof fixture.api.UsageError, `got ${String(outcome)}`);
  });

  /** A raw server that answers every request with `status` and `Location: location(n)` (n counts requests). */
  async function redirector(t: { defer(fn: () => unknown): void }, status: number, location: (n: number) => string): Promise<{ url: string; requests: string[] }> {
    const requests: string[] = [];
    const url = await server(t, (socket) =>
      socket.once('data', (head: Buffer) => {
        requests.push(head.toString('latin1'));
        socket.end(`HTTP/1.1 ${status} Moved\r\nLocation: ${location(requests.length)}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      }),
    );
    return { url, requests };
  }

  scenario(fixture, 'followRedirects: 301/302/303/307/308 lead to the Location (absolute and relative, http maps to ws); off by default', async (t) => {
    const { url: target, server: wss } = await t.echoServer();
    const paths: string[] = [];
    wss.on('connection', (_ws, request) => void paths.push(request.path));
    for (const status of [301, 302, 303, 307, 308]) {
      const hop = await redirector(t, status, () => `${target.replace('ws:', 'http:')}/final-${status}`);
      const ws = await t.connect(hop.url, { followRedirects: true });
      ws.send('after the redirect');
      assert.equal((await nextMessage(ws)).data, 'after the redirect');
      ws.close();
    }
    assert.deepEqual(paths, ['/final-301', '/final-302', '/final-303', '/final-307', '/final-308']);

    const off = (await t.connectError((await redirector(t, 302, () => target)).url)) as HandshakeStatusErrorLike;
    assert.equal(off.status, 302, 'without followRedirects the 302 is the error');
    assert.equal(off.headers['location'], target);

    // A relative Location resolves against the redirecting URL: same host and port, so the same raw server answers.
    const relative = await redirector(t, 307, (n) => (n === 1 ? 'next/hop?x=1' : target));
    await t.connect(`${relative.url}start/here`, { followRedirects: true });
    assert.match(relative.requests[1] ?? '', /^GET \/start\/next\/hop\?x=1 HTTP\/1\.1\r\n/);
  });

  scenario(fixture, 'followRedirects: FW_ERR_TOO_MANY_REDIRECTS past maxRedirects; a bad Location is FW_ERR_INVALID_URL', async (t) => {
    const loop = await redirector(t, 302, () => '/again');
    const error = await t.connectError(loop.url, { followRedirects: true, maxRedirects: 3 });
    assert.equal(error.code, 'FW_ERR_TOO_MANY_REDIRECTS');
    assert.equal(loop.requests.length, 4, 'the first request and three redirects');
    const ftp = await redirector(t, 302, () => 'ftp://127.0.0.1/');
    assert.equal((await t.connectError(ftp.url, { followRedirects: true })).code, 'FW_ERR_INVALID_URL');
  });

  scenario(fixture, 'followRedirects: Authorization and Cookie go along within one origin and stay behind when the redirect leaves it', async (t) => {
    const seen: Array<{ authorization: string | undefined; cookie: string | undefined; trace: string | undefined }> = [];
    const { url: target } = await t.echoServer({
      accept: (request) => {
        seen.push({ authorization: request.headers.get('authorization'), cookie: request.headers.get('cookie'), trace: request.headers.get('x-trace') });
        return fixture.api.accept();
      },
    });
    const headers = { Authorization: 'Bearer secret', Cookie: 'id=1', 'X-Trace': 'abc' };
    // First hop within the raw server's origin, then to the echo server: another port, so another origin (RFC 6454).
    const away = await redirector(t, 302, (n) => (n === 1 ? '/same-origin' : target));
    (await t.connect(away.url, { followRedirects: true, headers })).close();
    assert.match(away.requests[1] ?? '', /^GET \/same-origin /);
    assert.match(away.requests[1] ?? '', /authorization: Bearer secret/i, 'kept within the origin');
    assert.match(away.requests[1] ?? '', /cookie: id=1/i, 'kept within the origin');
    assert.deepEqual(seen.at(-1), { authorization: undefined, cookie: undefined, trace: 'abc' });
    assert.match(away.requests[0] ?? '', /authorization: Bearer secret/i, 'the first hop got them');
  });
}
