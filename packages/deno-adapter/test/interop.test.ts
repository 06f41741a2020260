// Interop over loopback with implementations written by others:
// our server ← Deno's built-in WebSocket client, ws (Node), headless Chromium;
// our client → Deno.serve + Deno.upgradeWebSocket, a ws server (Node).
import assert from 'node:assert/strict';
import { ServeUpgrader, connect, isWebSocketRequest, released, type ServeSocket } from '../src/index.ts';
import { peerMissing } from '../../codec/test/peers.ts';
import { closeSession, echo, fixtures, once, runNode, spawnNodeServer, startServer, waitFor } from './helpers.ts';

const chromiumPath = '/usr/bin/chromium';
const hasChromium = await Deno.stat(chromiumPath).then(() => true, () => false);
if (!hasChromium) peerMissing((name, fn) => Deno.test(name, fn), `${chromiumPath} (apt-get install chromium): browser interop`);
const pageHtml = await Deno.readTextFile(`${fixtures}page.html`);

Deno.test("our server ← Deno's built-in WebSocket client: text, binary, 1 MiB, close 1000", async () => {
  const { server, url } = await startServer({ perMessageDeflate: true });
  echo(server);
  const ws = new WebSocket(`${url}/deno`);
  ws.binaryType = 'arraybuffer';
  const got: unknown[] = [];
  const closed = new Promise<CloseEvent>((resolve) => (ws.onclose = resolve));
  ws.onopen = () => {
    ws.send('hi deno');
    ws.send(new Uint8Array([1, 2, 3]));
    ws.send('q'.repeat(1024 * 1024));
  };
  ws.onmessage = (event) => {
    got.push(typeof event.data === 'string' ? event.data : [...new Uint8Array(event.data)]);
    if (got.length === 3) ws.close(1000, 'bye');
  };
  const event = await closed;
  assert.equal(got[0], 'hi deno');
  assert.deepEqual(got[1], [1, 2, 3]);
  assert.equal(got[2], 'q'.repeat(1024 * 1024));
  assert.equal(event.code, 1000);
  assert.equal(event.wasClean, true);
  await server.close();
});

Deno.test('our server ← ws client (Node): permessage-deflate negotiated, every echo has its type, close 1000', async () => {
  const { server, url } = await startServer({ perMessageDeflate: true });
  echo(server);
  const closes: number[] = [];
  server.on('connection', (ws) => void ws.closed.then((info) => closes.push(info.code)));
  const result = await runNode(`${fixtures}ws-client.mjs`, [`${url}/ws`]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const report = JSON.parse(result.stdout);
  assert.match(report.extensions, /permessage-deflate/);
  assert.equal(report.echoes.length, 3);
  for (const e of report.echoes) {
    assert.equal(e.same, true);
    assert.equal(e.isBinary, e.expectedBinary);
  }
  assert.equal(report.close, 1000);
  await server.close();
  assert.deepEqual(closes, [1000]);
});

Deno.test({
  name: 'our server ← headless Chromium: page from the fetch handler, WebSocket on the same port, permessage-deflate',
  ignore: !hasChromium,
  fn: async () => {
    const { server, url, port } = await startServer({
      perMessageDeflate: true,
      path: '/socket',
      fetch: (request) =>
        new URL(request.url).pathname === '/page'
          ? new Response(pageHtml, { headers: { 'content-type': 'text/html; charset=utf-8' } })
          : new Response('not found', { status: 404 }),
    });
    echo(server);
    assert.ok(url);
    const result = await runNode(`${fixtures}chromium.mjs`, [`http://127.0.0.1:${port}/page`], 60_000);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout);
    assert.match(report.extensions, /permessage-deflate/);
    assert.deepEqual(report.got[0], ['text', 19, 'hello from chromium']);
    assert.deepEqual(report.got[1], ['binary', [9, 8, 7]]);
    assert.deepEqual(report.got[2], ['text', 200000, 'zzzzzzzzzzzzzzzzzzz']);
    assert.equal(report.code, 1000);
    assert.equal(report.wasClean, true);
    await server.close();
  },
});

Deno.test({
  name: 'Deno.serve + ServeUpgrader ← headless Chromium: page and WebSocket from one Deno.serve handler',
  ignore: !hasChromium,
  fn: async () => {
    const upgrader = new ServeUpgrader({ path: '/socket' });
    upgrader.on('connection', (ws: ServeSocket) => ws.on('message', (data, isBinary) => void ws.send(data, { binary: isBinary })));
    const abort = new AbortController();
    const serve = Deno.serve({ hostname: '127.0.0.1', port: 0, signal: abort.signal, onListen: () => {} }, (request) =>
      isWebSocketRequest(request) ? upgrader.upgrade(request) : new Response(pageHtml, { headers: { 'content-type': 'text/html; charset=utf-8' } }),
    );
    const result = await runNode(`${fixtures}chromium.mjs`, [`http://127.0.0.1:${serve.addr.port}/page`], 60_000);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.extensions, '', 'Deno.upgradeWebSocket negotiates no extension');
    assert.deepEqual(report.got[1], ['binary', [9, 8, 7]]);
    assert.deepEqual(report.got[2], ['text', 200000, 'zzzzzzzzzzzzzzzzzzz']);
    assert.equal(report.code, 1000);
    await upgrader.close();
    abort.abort();
    await serve.finished;
  },
});

Deno.test("our client → Deno's built-in server (Deno.serve + Deno.upgradeWebSocket): echo, subprotocol, close 1000", async () => {
  const abort = new AbortController();
  let serverClose: Promise<number> | undefined;
  const serve = Deno.serve({ hostname: '127.0.0.1', port: 0, signal: abort.signal, onListen: () => {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request, { protocol: 'chat' });
    socket.onmessage = (event) => socket.send(event.data);
    serverClose = new Promise((resolve) => (socket.onclose = (event) => resolve(event.code)));
    return response;
  });
  const ws = await connect(`ws://127.0.0.1:${serve.addr.port}/`, { protocols: ['chat'] });
  assert.equal(ws.protocol, 'chat');
  assert.equal(ws.extensions, '', 'Deno declines permessage-deflate');
  const got: Array<[unknown, boolean]> = [];
  ws.on('message', (data, isBinary) => void got.push([data, isBinary]));
  ws.send('text to deno');
  ws.send(new Uint8Array([5, 6, 7]));
  ws.send(new Uint8Array(3 * 1024 * 1024).fill(7));
  await new Promise<void>((resolve) => {
    const check = setInterval(() => got.length === 3 && (clearInterval(check), resolve()), 5);
  });
  assert.deepEqual(got[0], ['text to deno', false]);
  assert.deepEqual(got[1], [new Uint8Array([5, 6, 7]), true]);
  assert.equal((got[2]![0] as Uint8Array).length, 3 * 1024 * 1024);
  await closeSession(ws);
  assert.equal(await serverClose, 1000);
  abort.abort();
  await serve.finished;
});

Deno.test('our client → ws server (Node): permessage-deflate negotiated, echo, the server sees our 1000', async () => {
  const child = await spawnNodeServer(`${fixtures}ws-server.mjs`, [], /PORT (\d+)/);
  try {
    const ws = await connect(`ws://127.0.0.1:${child.match[1]}/`, { protocols: ['chat'] });
    assert.equal(ws.protocol, 'chat');
    assert.match(ws.extensions, /permessage-deflate/);
    ws.send('over deflate '.repeat(1000));
    const [data, isBinary] = await once<[string, boolean]>(ws, 'message');
    assert.equal(data, 'over deflate '.repeat(1000));
    assert.equal(isBinary, false);
    ws.send(new Uint8Array([1, 2]));
    const [bytes] = await once<[Uint8Array]>(ws, 'message');
    assert.deepEqual(bytes, new Uint8Array([1, 2]));
    await closeSession(ws);
    await released(ws);
    await waitFor(() => child.output().includes('CLOSE 1000'), 5000, 'the ws server to see the close');
  } finally {
    const output = await child.stop();
    assert.match(output, /CLOSES \[1000\]/);
  }
});
