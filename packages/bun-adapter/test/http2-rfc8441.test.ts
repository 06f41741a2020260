// RFC 8441 on Bun: what this runtime offers, checked rather than assumed.
// Bun.serve speaks no HTTP/2 at all; Bun's node:http2 server does advertise
// extended CONNECT, and @framewire/node-adapter's WebSocketServer runs on it
// unchanged (the route the README gives for WebSocket over HTTP/2 on Bun).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { connect as http2Connect, createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
// The Node adapter as a workspace devDependency, so turbo builds it before this package's typecheck and tests.
import { WebSocketServer, connect } from '@framewire/node-adapter';
import { makeTestCert, type TestCert } from './helpers.js';

let cert: TestCert;
beforeAll(() => {
  cert = makeTestCert();
});
afterAll(() => cert.remove());

describe('WebSocket over HTTP/2 on Bun', () => {
  it('Bun.serve does not speak HTTP/2: an h2 client gets no SETTINGS, so no extended CONNECT', async () => {
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', tls: { cert: cert.cert, key: cert.key }, fetch: () => new Response('h1 only') });
    try {
      const session = http2Connect(`https://127.0.0.1:${server.port}`, { ca: cert.cert });
      const outcome = await new Promise<string>((resolve) => {
        session.once('remoteSettings', () => resolve('h2'));
        session.once('error', () => resolve('no h2'));
        session.once('close', () => resolve('no h2'));
      });
      session.destroy();
      expect(outcome).toBe('no h2');
    } finally {
      server.stop(true);
    }
  });

  it("Bun's node:http2 server advertises extended CONNECT and carries the Node adapter's WebSockets", async () => {
    const h2 = createSecureServer({ key: cert.key, cert: cert.cert, allowHTTP1: true, settings: { enableConnectProtocol: true } });
    const wss = new WebSocketServer({ server: h2, perMessageDeflate: true });
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    const { port } = h2.address() as AddressInfo;
    try {
      for (const http2 of [true, false]) {
        const ws = await connect(`wss://127.0.0.1:${port}/bun`, { http2, tls: { ca: cert.cert } });
        expect(ws.transportKind).toBe(http2 ? 'http2' : 'tls');
        const reply = new Promise((resolve) => ws.once('message', resolve));
        ws.send('over bun');
        expect(await reply).toBe('over bun');
        ws.close(4003);
        expect((await ws.closed).code).toBe(4003);
      }
    } finally {
      await wss.close({ timeout: 300 });
      h2.close();
    }
  });
});
