// Plain HTTP on a raw-socket server's port (Deno raw, Bun, Node standalone):
// the fetch handler answers what is not an upgrade, upgrades on the same port
// still work, and bad or oversized requests get a status, never a crash.
import assert from 'node:assert/strict';
import { nextMessage, scenario, type AdapterFixture } from './fixture.js';
import { rawConnect } from './raw-tcp.js';

export function httpFallbackSuite(fixture: AdapterFixture): void {

  scenario(fixture, 'fetch fallback: plain requests reach the handler (method, path, headers, body in; status, headers, body out); upgrades share the port', async (t) => {
    const { server, url } = await t.listen({
      fetch: async (request) => {
        const body = await request.text();
        return new Response(`${request.method} ${new URL(request.url).pathname} ${request.headers.get('x-test')} ${body}`, {
          status: 201,
          headers: { 'x-answer': '42' },
        });
      },
    });
    server.on('connection', (ws) => ws.on('message', (data) => ws.send(data as string)));
    const http = url.replace('ws:', 'http:');
    const response = await fetch(`${http}/submit?q=1`, { method: 'POST', body: 'payload', headers: { 'x-test': 'yes' } });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-answer'), '42');
    assert.equal(await response.text(), 'POST /submit yes payload');
    const ws = await t.connect(`${url}/`);
    ws.send('same port');
    assert.equal((await nextMessage(ws)).data, 'same port');
  });

  scenario(fixture, 'fetch fallback: a handler that throws answers 500, an oversized body 413, chunked bodies 411, garbage 400; without a handler 426 (Node standalone: 400)', async (t) => {
    const { url } = await t.listen({
      maxBodyBytes: 10,
      fetch: () => {
        throw new Error('boom');
      },
    });
    const http = url.replace('ws:', 'http:');
    const failed = await fetch(`${http}/`);
    assert.equal(failed.status, 500);
    await failed.body?.cancel();
    const big = await fetch(`${http}/`, { method: 'POST', body: 'x'.repeat(100) });
    assert.equal(big.status, 413);
    await big.body?.cancel();
    const port = Number(new URL(url).port);
    const chunked = await rawConnect(port);
    t.defer(() => chunked.destroy());
    chunked.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    assert.match(await chunked.until((text) => text.includes('\r\n\r\n'), 5000, 'the 411'), /^HTTP\/1\.1 411 /);
    const garbage = await rawConnect(port);
    t.defer(() => garbage.destroy());
    garbage.write('\x16\x03\x01 not http at all\r\n\r\n');
    assert.match(await garbage.until((text) => text.includes('\r\n'), 5000, 'the 400'), /^HTTP\/1\.1 400 /);

    const bare = await t.listen();
    const refused = await fetch(`${bare.url.replace('ws:', 'http:')}/page`);
    if (fixture.runtime === 'node') {
      // Node standalone without a handler: the handshake checks refuse it (its documented 400).
      assert.equal(refused.status, 400);
    } else {
      assert.equal(refused.status, 426);
      assert.equal(refused.headers.get('upgrade'), 'websocket');
    }
    await refused.body?.cancel();
  });
}
