// Deno-only behaviour of the raw-TCP server: plain HTTP on the WebSocket
// port (426, or the fetch fallback) and the test sanitizers on an idle
// connection. What every adapter does is in the shared behaviour suites
// (packages/codec/test/adapter-behaviour, run by behaviour.test.ts).
import assert from 'node:assert/strict';
import { connect } from '../src/index.ts';
import { closeSession, delay, echo, startServer } from './helpers.ts';

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

Deno.test('an idle connection delivers nothing and holds no timer (sanitizers)', async () => {
  const { server, url } = await startServer();
  const ws = await connect(url);
  await delay(50);
  assert.equal(ws.readyState, 1);
  await closeSession(ws);
  await server.close();
});
