// Chromium opens WebSockets over an HTTP/2 connection it already has when the
// server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441). The page is
// loaded over h2 from the same server; its ten WebSockets must arrive as
// streams of that one connection, and echo, close codes and deflate work.
import { existsSync } from 'node:fs';
import { createSecureServer, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerMissing } from '../../codec/test/peers.js';
import { WebSocketServer, http2StreamOf, type CloseInfo, type Session } from '../src/index.js';
import { makeTestCert, type TestCert } from './helpers/certs.js';

const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
if (!hasChromium) peerMissing(it, `${chromiumPath} (apt-get install chromium): WebSocket over HTTP/2 from a browser`);

// Runs in the page: ten sockets, each echoes text (and one binary), then closes with its own code.
const PAGE_SCRIPT = `
window.results = (async () => {
  const one = (i) => new Promise((resolve, reject) => {
    const ws = new WebSocket('wss://' + location.host + '/ws?i=' + i);
    ws.binaryType = 'arraybuffer';
    const got = [];
    ws.onerror = () => reject(new Error('socket ' + i + ' failed'));
    ws.onopen = () => { ws.send('hello ' + i + ' ' + 'x'.repeat(2000)); ws.send(new Uint8Array([i, 1, 2])); };
    ws.onmessage = (e) => {
      got.push(typeof e.data === 'string' ? e.data : Array.from(new Uint8Array(e.data)));
      if (got.length === 2) ws.close(4000 + i, 'done ' + i);
    };
    ws.onclose = (e) => resolve({ i, got, code: e.code, reason: e.reason, wasClean: e.wasClean, extensions: ws.extensions });
  });
  return Promise.all(Array.from({ length: 10 }, (_, i) => one(i)));
})();
`;

describe.skipIf(!hasChromium)('Chromium over HTTP/2 (RFC 8441)', () => {
  let cert: TestCert;
  beforeAll(() => {
    cert = makeTestCert();
  });
  afterAll(() => cert.remove());

  it('a page loaded over h2 opens 10 WebSockets as streams of that one connection', async () => {
    const pageSessions = new Set<Http2Session>();
    const h2 = createSecureServer(
      { key: cert.key, cert: cert.cert, allowHTTP1: true, settings: { enableConnectProtocol: true } },
      (request, response) => {
        if (request.stream !== undefined) pageSessions.add(request.stream.session!);
        if (request.url === '/page.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(PAGE_SCRIPT);
        else response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script src="/page.js"></script>');
      },
    );
    const wss = new WebSocketServer({ server: h2, path: '/ws', perMessageDeflate: true });
    const sessions: Session[] = [];
    const connectionOf = new Map<Session, Http2Session | undefined>(); // read while the stream is open
    const closes: Array<Promise<CloseInfo>> = [];
    wss.on('connection', (ws, request) => {
      sessions.push(ws);
      connectionOf.set(ws, http2StreamOf(ws)?.session);
      closes.push(ws.closed);
      expect(request.httpVersion).toEqual({ major: 2, minor: 0 });
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    const { port } = h2.address() as AddressInfo;
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--ignore-certificate-errors', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`https://127.0.0.1:${port}/`);
      const results = (await page.evaluate('window.results')) as Array<{
        i: number;
        got: unknown[];
        code: number;
        reason: string;
        wasClean: boolean;
        extensions: string;
      }>;
      expect(results).toHaveLength(10);
      for (const result of results) {
        expect(result.got).toEqual([`hello ${result.i} ${'x'.repeat(2000)}`, [result.i, 1, 2]]);
        expect(result.code).toBe(4000 + result.i);
        expect(result.wasClean).toBe(true);
        expect(result.extensions).toContain('permessage-deflate');
      }
      // The server saw ten HTTP/2 streams, all on the connection that served the page.
      expect(sessions).toHaveLength(10);
      expect(sessions.map((ws) => ws.transportKind)).toEqual(Array(10).fill('http2'));
      const connections = new Set(connectionOf.values());
      expect(connections.size).toBe(1);
      const [connection] = [...connections];
      expect(connection).toBeDefined();
      expect(pageSessions.has(connection!)).toBe(true);
      expect((await Promise.all(closes)).map((info) => info.code).sort()).toEqual(results.map((r) => 4000 + r.i).sort());
    } finally {
      await browser.close();
      await wss.close({ timeout: 300 });
      await new Promise<void>((resolve) => h2.close(() => resolve()));
    }
  });
});
