// The API a team porting from ws, Bun or crossws reaches for first (issue
// 23): per-connection data from the accept hook, the peer's address in the
// hook, path patterns with parameters, several servers on one port routed
// by path, and the server's metrics with their Prometheus text.
import assert from 'node:assert/strict';
import { delay, nextMessage, scenario, until, within, type AdapterFixture, type RequestLike, type ServerLike, type SessionLike } from './fixture.js';
import { rawResponse, upgradeRequest } from './raw-tcp.js';

function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1] ?? 0);
}

/** The sessions a server accepts, with their requests, in order. */
function collect(server: ServerLike): Array<{ ws: SessionLike; request: RequestLike }> {
  const seen: Array<{ ws: SessionLike; request: RequestLike }> = [];
  server.on('connection', (ws, request) => {
    ws.on('error', () => {});
    seen.push({ ws, request });
  });
  return seen;
}

export function apiGapsSuite(fixture: AdapterFixture): void {
  const { accept, reject } = fixture.api;

  scenario(fixture, "an async accept hook runs once per connection; its data is the session's data; the request carries the peer's address and port", async (t) => {
    let calls = 0;
    const hookSaw: Array<{ address: string | undefined; port: number | undefined }> = [];
    const { server, port, url } = await t.listen({
      accept: async (request) => {
        calls++;
        hookSaw.push({ address: request.remoteAddress, port: request.remotePort });
        await delay(10); // a token lookup
        const user = /(?:^|&)user=([^&]*)/.exec(request.query)?.[1];
        return user === undefined ? reject(401) : accept({ data: { user, since: 42 } });
      },
    });
    const seen = collect(server);
    const client = await t.connect(`${url}/?user=ann`);
    await until(() => seen.length === 1, 5000, 'the connection event');
    const { ws, request } = seen[0]!;
    assert.deepEqual(ws.data, { user: 'ann', since: 42 });
    assert.equal(calls, 1, 'the hook ran once');
    assert.equal(request.remoteAddress, '127.0.0.1');
    assert.ok(typeof request.remotePort === 'number' && request.remotePort > 0 && request.remotePort !== port, `peer port ${request.remotePort}`);
    assert.deepEqual(hookSaw, [{ address: '127.0.0.1', port: request.remotePort }]);
    assert.deepEqual({ ...request.params }, {});
    // The data stays with its session: a second client gets its own.
    await t.connect(`${url}/?user=bob`);
    await until(() => seen.length === 2, 5000, 'the second connection');
    assert.deepEqual(seen.map((s) => (s.ws.data as { user: string }).user), ['ann', 'bob']);
    assert.equal(statusOf(await rawResponse(port, upgradeRequest('/'))), 401);
    assert.equal(calls, 3);
    assert.equal(client.readyState, 1);
  });

  scenario(fixture, 'without a hook a session has no data, and the request still names the peer', async (t) => {
    const { server, url } = await t.listen();
    const seen = collect(server);
    await t.connect(url);
    await until(() => seen.length === 1, 5000, 'the connection event');
    assert.equal(seen[0]!.ws.data, undefined);
    assert.equal(seen[0]!.request.remoteAddress, '127.0.0.1');
    assert.ok((seen[0]!.request.remotePort ?? 0) > 0);
  });

  scenario(fixture, 'path patterns: /rooms/:id and /files/* fill request.params; other paths get 404 before the hook', async (t) => {
    const hookParams: Array<Record<string, string>> = [];
    const { server, port, url } = await t.listen({
      path: ['/rooms/:id', '/files/*', '/exact'],
      accept: (request) => {
        hookParams.push({ ...request.params });
        return accept({ data: request.params['id'] ?? request.params['*'] ?? '' });
      },
    });
    const seen = collect(server);
    await t.connect(`${url}/rooms/a%20b?x=1`);
    await t.connect(`${url}/files/x/y.txt`);
    await t.connect(`${url}/files/`);
    await t.connect(`${url}/exact`);
    await until(() => seen.length === 4, 5000, 'four connections');
    assert.deepEqual(
      seen.map((s) => ({ ...s.request.params })),
      [{ id: 'a b' }, { '*': 'x/y.txt' }, { '*': '' }, {}],
    );
    assert.deepEqual(seen.map((s) => s.ws.data), ['a b', 'x/y.txt', '', '']);
    assert.equal(hookParams.length, 4);
    for (const path of ['/rooms', '/rooms/', '/rooms/1/2', '/filesx', '/exact/more', '/other', '/rooms/%zz']) {
      assert.equal(statusOf(await rawResponse(port, upgradeRequest(path))), 404, path);
    }
    assert.equal(hookParams.length, 4, 'the hook never saw a 404 path');
  });

  scenario(fixture, 'several servers share one port, routed by path; a path no server takes gets 404', async (t) => {
    if (fixture.listenShared === undefined) throw new Error(`the ${fixture.runtime} fixture has no listenShared`);
    const shared = await fixture.listenShared([['/main'], ['/rooms/:id'], ['/feed']]);
    t.defer(() => shared.close());
    const names = ['main', 'rooms', 'feed'];
    shared.servers.forEach((server, i) => {
      server.on('connection', (ws, request) => {
        ws.on('error', () => {});
        ws.send(`${names[i]} ${JSON.stringify(request.params)}`);
      });
    });
    const url = `ws://127.0.0.1:${shared.port}`;
    const replies: string[] = [];
    for (const path of ['/rooms/7', '/feed', '/main', '/rooms/8?x']) {
      const ws = await t.connect(`${url}${path}`);
      replies.push(String((await nextMessage(ws)).data));
    }
    assert.deepEqual(replies, ['rooms {"id":"7"}', 'feed {}', 'main {}', 'rooms {"id":"8"}']);
    assert.deepEqual(shared.servers.map((s) => s.connectionCount), [1, 2, 1]);
    for (const path of ['/nothing', '/rooms', '/feed/x']) {
      assert.equal(statusOf(await rawResponse(shared.port, upgradeRequest(path))), 404, path);
    }
  });

  scenario(fixture, 'metrics count connections, refusals by status, messages, bytes and close codes; formatPrometheus renders them', async (t) => {
    const { server, port, url } = await t.listen({ path: ['/ws'], accept: (request) => (request.query === 'no' ? reject(403) : accept()) });
    const seen = collect(server);
    server.on('connection', (ws) => {
      ws.subscribe('news');
      ws.on('message', (data, isBinary) => {
        if (ws.readyState === 1) ws.send(data as string | Uint8Array, { binary: isBinary });
      });
    });
    const a = await t.connect(`${url}/ws`);
    const b = await t.connect(`${url}/ws`);
    for (const text of ['one', 'two', 'three']) {
      a.send(text);
      assert.equal((await nextMessage(a)).data, text);
    }
    assert.equal(server.publish('news', 'hello all'), 2);
    await nextMessage(b);
    assert.equal(statusOf(await rawResponse(port, upgradeRequest('/elsewhere'))), 404);
    assert.equal(statusOf(await rawResponse(port, upgradeRequest('/ws?no'))), 403);
    const live = server.metrics();
    assert.equal(live.connections, 2);
    assert.equal(live.connectionsTotal, 2);
    assert.equal(live.messagesIn, 3);
    assert.equal(live.messagesOut, 5, '3 echoes + 1 publish to 2 subscribers');
    assert.ok(live.bytesIn >= 3 * (6 + 3) && live.bytesOut > live.bytesIn, `bytes in ${live.bytesIn}, out ${live.bytesOut}`);
    a.close(4001, 'bye');
    b.close(1000);
    await within(Promise.all([a.closed, b.closed]), 5000, 'both closes');
    await until(() => server.connectionCount === 0 && seen.length === 2, 5000, 'the server saw both closes');
    const after = server.metrics();
    assert.equal(after.connections, 0);
    assert.equal(after.connectionsTotal, 2);
    assert.equal(after.messagesIn, 3, 'closed sessions stay counted');
    assert.ok(after.bytesIn >= live.bytesIn);
    assert.deepEqual(after.closeCodes, [
      { code: 1000, count: 1 },
      { code: 4001, count: 1 },
    ]);
    const refused = Object.fromEntries(after.handshakesRefused.map((r) => [r.status, r.count]));
    assert.deepEqual(refused, { 403: 1, 404: 1 });
    const text = fixture.api.formatPrometheus(after, { server: 'a "quoted" one' });
    assert.match(text, /^# HELP framewire_connections_open /m);
    assert.match(text, /^# TYPE framewire_connections_accepted_total counter$/m);
    assert.match(text, /^framewire_connections_accepted_total\{server="a \\"quoted\\" one"\} 2$/m);
    assert.match(text, /^framewire_closes_total\{server="a \\"quoted\\" one",code="4001"\} 1$/m);
    assert.match(text, /^framewire_handshakes_refused_total\{server="a \\"quoted\\" one",status="404",reason="[^"]+"\} 1$/m);
  });
}
