// Node-only server modes: several servers attached to one http server and
// routed by path, handleUpgrade, and the request head Node already parsed.
// What every adapter's server does is in the shared behaviour suites
// (packages/codec/test/adapter-behaviour, run by behaviour.test.ts).
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer } from '../src/index.js';
import { rawConnect, upgradeRequest } from './helpers/net.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** The status code of an upgrade ws's client saw refused. */
function refusedStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => reject(new Error('unexpectedly opened')));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      res.resume();
      ws.terminate();
    });
    ws.once('error', () => {});
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

describe('attach mode and handleUpgrade', () => {
  async function httpServer(): Promise<{ http: HttpServer; port: number }> {
    const http = createHttpServer((_req, res) => res.end('page'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      http.closeAllConnections();
      http.close(() => resolve());
    }));
    return { http, port: (http.address() as AddressInfo).port };
  }

  it('routes several servers on one http server by path and refuses other paths with 404', async () => {
    const { http, port } = await httpServer();
    const chat = new WebSocketServer({ server: http, path: '/chat' });
    const echo = new WebSocketServer({ server: http, path: '/echo' });
    cleanups.push(() => chat.close({ timeout: 200 }), () => echo.close({ timeout: 200 }));
    chat.on('connection', (ws) => ws.send('chat'));
    echo.on('connection', (ws) => ws.send('echo'));

    const a = new WebSocket(`ws://127.0.0.1:${port}/chat`);
    cleanups.push(() => a.terminate());
    expect((await nextMessage(a)).data.toString()).toBe('chat');
    const b = new WebSocket(`ws://127.0.0.1:${port}/echo?x=1`);
    cleanups.push(() => b.terminate());
    expect((await nextMessage(b)).data.toString()).toBe('echo');
    expect(chat.connectionCount).toBe(1);
    expect(echo.connectionCount).toBe(1);

    // Not a hang: an answer, quickly.
    const started = Date.now();
    expect((await refusedStatus(`ws://127.0.0.1:${port}/nothing-here`)).status).toBe(404);
    expect(Date.now() - started).toBeLessThan(1000);
    // The http server still serves plain requests.
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('page');
  });

  it('handleUpgrade gives full control to the application', async () => {
    const { http, port } = await httpServer();
    const wss = new WebSocketServer();
    cleanups.push(() => wss.close({ timeout: 200 }));
    wss.on('connection', (ws, request) => ws.send(`hi ${request.path}`));
    http.on('upgrade', (req, socket, head) => {
      if (req.url?.startsWith('/live')) wss.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/live/1`);
    cleanups.push(() => ws.terminate());
    expect((await nextMessage(ws)).data.toString()).toBe('hi /live/1');
  });

  it('does not lose frames that arrive with the request head', async () => {
    const { http, port } = await httpServer();
    const wss = new WebSocketServer({ server: http });
    cleanups.push(() => wss.close({ timeout: 200 }));
    const got = new Promise<string>((resolve) => wss.on('connection', (ws) => ws.on('message', (d) => resolve(String(d)))));
    const socket = await rawConnect(port);
    cleanups.push(() => socket.destroy());
    // One write: the request and a masked text frame "hi" (RFC 6455 §5.7 style).
    const maskKey = [1, 2, 3, 4];
    const frame = Buffer.from([0x81, 0x82, ...maskKey, 'h'.charCodeAt(0) ^ 1, 'i'.charCodeAt(0) ^ 2]);
    socket.write(Buffer.concat([Buffer.from(upgradeRequest('/')), frame]));
    expect(await got).toBe('hi');
  });
});
