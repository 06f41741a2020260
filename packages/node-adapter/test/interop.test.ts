// Interop with implementations written by others, over loopback: Node's
// built-in WebSocket client (Node 22+), Python's `websockets` (Debian
// python3-websockets) and headless Chromium (Debian chromium) on a page
// served by the same http server the WebSocket server is attached to (the
// full demo in Chromium is apps/demo's test). A missing peer fails the run
// (FRAMEWIRE_ALLOW_SKIP=1 skips it).
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type Session } from '../src/index.js';
import { peerMissing } from '../../codec/test/peers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function echoServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}): Promise<{ server: WebSocketServer; port: number }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.readyState === 1 && ws.send(data, { binary: isBinary })));
  const { port } = await server.listen();
  cleanups.push(() => server.close({ timeout: 300 }));
  return { server, port };
}

const missing = (what: string): boolean => peerMissing(it, what);

// ---- Node's built-in WebSocket (undici) -----------------------------------

// Node 22+ has a global WebSocket; Node 20 has it behind --experimental-websocket.
const nativeFlags = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function' ? [] : ['--experimental-websocket'];
const hasNativeWebSocket =
  spawnSync(process.execPath, [...nativeFlags, '-e', "process.exit(typeof WebSocket === 'function' ? 0 : 1)"], { stdio: 'ignore' }).status === 0;
if (!hasNativeWebSocket) missing(`Node ${process.version} has no built-in WebSocket client: native-client interop`);

describe.skipIf(!hasNativeWebSocket)(`Node's built-in WebSocket client (${process.version} ${nativeFlags.join(' ')})`, () => {
  it('talks to our server: text, binary, close code', async () => {
    const { server, port } = await echoServer({ perMessageDeflate: true });
    const seen = new Promise<Session>((resolve) => server.once('connection', resolve));
    const script = fileURLToPath(new URL('./fixtures/native-ws-client.mjs', import.meta.url));
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [...nativeFlags, script, `ws://127.0.0.1:${port}/native`], { timeout: 20_000 }, (error, stdout, stderr) => {
        if (error !== null && stdout === '') reject(new Error(`${error.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const report = JSON.parse(output.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(report).toMatchObject({ ok: true, text_ok: true, binary_ok: true, close_code: 4002, was_clean: true });
    expect(report.extensions).toContain('permessage-deflate');
    expect(await (await seen).closed).toEqual({ code: 4002, reason: 'native bye', wasClean: true });
  });
});

// ---- Python websockets ------------------------------------------------------

const python = '/usr/bin/python3';
const hasPythonWebsockets = existsSync(python) && spawnSync(python, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0;
if (!hasPythonWebsockets) missing('/usr/bin/python3 with the websockets module is missing (apt-get install python3-websockets): Python interop');

describe.skipIf(!hasPythonWebsockets)('Python websockets client', () => {
  it('echoes text and binary through our server with permessage-deflate, closes with 1000', async () => {
    const { server, port } = await echoServer({ perMessageDeflate: true });
    const seen = new Promise<Session>((resolve) => server.once('connection', resolve));
    const script = fileURLToPath(new URL('./fixtures/python_echo_client.py', import.meta.url));
    const output = await new Promise<string>((resolve, reject) => {
      execFile(python, [script, `ws://127.0.0.1:${port}/py`], { timeout: 20_000 }, (error, stdout, stderr) => {
        if (error !== null && stdout === '') reject(new Error(`${error.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const report = JSON.parse(output.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(report).toMatchObject({ ok: true, text_ok: true, binary_ok: true, close_code: 1000 });
    expect(report.extensions).toEqual(['permessage-deflate']);
    const session = await seen;
    expect(session.extensions).toContain('permessage-deflate');
    expect((await session.closed).code).toBe(1000);
  });
});

// ---- Headless Chromium on a page of the attached server ---------------------

const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
if (!hasChromium) missing(`${chromiumPath} is missing (apt-get install chromium): browser interop`);

describe.skipIf(!hasChromium)('headless Chromium on a page of the attached http server', () => {
  type Browser = import('playwright-core').Browser;
  let browser: Browser;
  let http: HttpServer;
  let echo: WebSocketServer;
  let url: string;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-features=LocalNetworkAccessChecks',
      ],
    });
    // One port: the page from http, WebSockets at /echo from the attached server.
    http = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>interop</title>'));
    echo = new WebSocketServer({ server: http, path: '/echo', perMessageDeflate: true });
    echo.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.readyState === 1 && ws.send(data, { binary: isBinary })));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await echo?.close({ timeout: 500 });
    http?.closeAllConnections();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  });

  it('sends text and binary through /echo and sees close codes in both directions', async () => {
    const page = await browser.newPage();
    cleanups.push(() => page.close());
    await page.goto(url);
    const result = await page.evaluate(async () => {
      const ws = new WebSocket(`ws://${location.host}/echo`);
      ws.binaryType = 'arraybuffer';
      const next = (): Promise<MessageEvent> => new Promise((resolve) => ws.addEventListener('message', resolve, { once: true }));
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = reject;
      });
      ws.send('text ✓ '.repeat(300));
      const text = (await next()).data as string;
      ws.send(new Uint8Array([0, 1, 2, 250, 255]));
      const binary = Array.from(new Uint8Array((await next()).data as ArrayBuffer));
      const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) =>
        ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean })),
      );
      ws.close(4000, 'browser bye');
      return { text, binary, extensions: ws.extensions, close: await closed };
    });
    expect(result.text).toBe('text ✓ '.repeat(300));
    expect(result.binary).toEqual([0, 1, 2, 250, 255]);
    expect(result.extensions).toContain('permessage-deflate');
    expect(result.close).toEqual({ code: 4000, reason: '', wasClean: true });
  });

  it('sees the server close code (server closes with 4321)', async () => {
    const page = await browser.newPage();
    cleanups.push(() => page.close());
    await page.goto(url);
    const serverSide = new Promise<Session>((resolve) => echo.once('connection', resolve));
    const closedInPage = page.evaluate(
      () =>
        new Promise<{ code: number; reason: string }>((resolve) => {
          const ws = new WebSocket(`ws://${location.host}/echo`);
          ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
        }),
    );
    const session = await serverSide;
    session.close(4321, 'server says bye');
    expect(await closedInPage).toEqual({ code: 4321, reason: 'server says bye' });
  });
});
