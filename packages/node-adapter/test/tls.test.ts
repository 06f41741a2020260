// wss:// on Node beyond the shared TLS suite: ws's client against our TLS
// server, and our server attached to an https server (our client by name).
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer, connect } from '../src/index.js';
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

describe('wss:// with a certificate generated at test time (the rest is in tls.suite.ts)', () => {
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

  it('our server attached to an https server, with our client trusting the certificate by name', async () => {
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
