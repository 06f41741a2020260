import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConnectError, WebSocketServer, connect } from '../src/index.js';
import { makeTestCert, type TestCert } from './helpers/certs.js';

let cert: TestCert;
beforeAll(() => {
  cert = makeTestCert();
});
afterAll(() => cert.remove());

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function wssEchoServer(): Promise<number> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, tls: { key: cert.key, cert: cert.cert }, perMessageDeflate: true });
  server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const { port } = await server.listen();
  cleanups.push(() => server.close({ timeout: 300 }));
  return port;
}

describe('wss:// with a certificate generated at test time', () => {
  it('our TLS server with the ws client', async () => {
    const port = await wssEchoServer();
    const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: cert.cert, perMessageDeflate: true });
    cleanups.push(() => ws.terminate());
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.extensions).toContain('permessage-deflate');
    const echoed = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
    ws.send('over tls');
    expect(await echoed).toBe('over tls');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.close(1000);
    expect(await closed).toBe(1000);
  });

  it('our client with our TLS server (ca option), by IP and by name', async () => {
    const port = await wssEchoServer();
    for (const host of ['127.0.0.1', 'localhost']) {
      const ws = await connect(`wss://${host}:${port}/`, { tls: { ca: cert.cert } });
      const echoed = new Promise<unknown>((resolve) => ws.once('message', (data) => resolve(data)));
      ws.send(new Uint8Array([1, 2, 3]));
      expect(Array.from(await echoed as Uint8Array)).toEqual([1, 2, 3]);
      ws.close(1000);
      expect((await ws.closed).code).toBe(1000);
    }
  });

  it('our client refuses an untrusted certificate with FW_ERR_TLS', async () => {
    const port = await wssEchoServer();
    const error = await connect(`wss://127.0.0.1:${port}/`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe('FW_ERR_TLS');
  });

  it('our server attached to an https server, with our client', async () => {
    const https = createHttpsServer({ key: cert.key, cert: cert.cert }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const wss = new WebSocketServer({ server: https, path: '/secure' });
    wss.on('connection', (ws) => ws.send('secure hello'));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          https.closeAllConnections();
          https.close(() => resolve());
        }),
      () => wss.close({ timeout: 300 }),
    );
    const port = (https.address() as AddressInfo).port;
    const ws = await connect(`wss://localhost:${port}/secure`, { tls: { ca: cert.cert } });
    cleanups.push(() => ws.terminate());
    const first = await new Promise<unknown>((resolve) => ws.once('message', resolve));
    expect(first).toBe('secure hello');
  });
});
