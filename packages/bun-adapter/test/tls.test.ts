// wss:// on Bun.listen's TLS: our client and Bun's built-in client, graceful
// shutdown over TLS, and TLS garbage that must not hurt the server.
import { afterAll, describe, expect, it } from 'bun:test';
import { WebSocketServer, connect, type Session } from '../src/index.js';
import { echoServer, makeTestCert, nextConnection, rawConnect, useCleanup, within } from './helpers.js';

useCleanup();
const cert = makeTestCert();
afterAll(() => cert.remove());

describe('wss:// server (Bun.listen with tls)', () => {
  it('serves our client (trusting the CA) and keeps permessage-deflate working over TLS', async () => {
    const { server, port } = await echoServer({ tls: { cert: cert.cert, key: cert.key }, perMessageDeflate: true });
    const seen = nextConnection(server);
    const ws = await connect(`wss://127.0.0.1:${port}/tls`, { tls: { ca: cert.cert } });
    expect(ws.extensions).toContain('permessage-deflate');
    const message = new Uint8Array(2_000_000).map((_, i) => (i >> 10) & 0xff);
    const echoed = within(new Promise<Uint8Array>((resolve) => ws.once('message', (data) => resolve(data as Uint8Array))), 10_000, 'echo');
    ws.send(message);
    expect(Buffer.from(await echoed).equals(Buffer.from(message))).toBe(true);
    ws.close(4000, 'tls bye');
    expect(await ws.closed).toMatchObject({ code: 4000, wasClean: true }); // the echo carries the code (RFC 6455 §5.5.1)
    expect(await (await seen).closed).toEqual({ code: 4000, reason: 'tls bye', wasClean: true });
  });

  it("serves Bun's built-in client, and shuts down with 1001 over TLS", async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, tls: { cert: cert.cert, key: cert.key } });
    server.on('connection', (ws: Session) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    const { port } = await server.listen();
    const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { tls: { ca: cert.cert } });
    await within(new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject))), 5000, 'open');
    const echo = within(new Promise<MessageEvent>((resolve) => (ws.onmessage = resolve)), 5000, 'echo');
    ws.send('over tls');
    expect((await echo).data).toBe('over tls');
    const closed = within(new Promise<CloseEvent>((resolve) => (ws.onclose = resolve)), 5000, 'close');
    await server.close({ timeout: 1000 });
    expect((await closed).code).toBe(1001);
  });

  it('survives clients that speak plain HTTP or garbage to the TLS port', async () => {
    const { port } = await echoServer({ tls: { cert: cert.cert, key: cert.key } });
    const plain = await rawConnect(port);
    plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await within(plain.closed, 5000, 'plain client dropped');
    const ws = await connect(`wss://127.0.0.1:${port}/`, { tls: { ca: cert.cert } });
    ws.close();
    expect((await ws.closed).wasClean).toBe(true);
  });
});
