// Our Node client against ws's server, a peer written by others. Its typed
// connect errors are in the shared behaviour suites (client-errors.suite.ts).
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import { connect, type Session } from '../src/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A ws echo server (the control peer) on a free port. */
async function wsEchoServer(options: ConstructorParameters<typeof WsServer>[0] = {}): Promise<{ wss: WsServer; port: number }> {
  const wss = new WsServer({ host: '127.0.0.1', port: 0, ...options });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  );
  return { wss, port: (wss.address() as AddressInfo).port };
}

function nextMessage(session: Session): Promise<{ data: unknown; isBinary: boolean }> {
  return new Promise((resolve) => {
    const listener = (data: unknown, isBinary: boolean): void => {
      session.off('message', listener);
      resolve({ data, isBinary });
    };
    session.on('message', listener);
  });
}

describe('connect() against ws', () => {
  it('echoes text and binary, offers permessage-deflate and closes cleanly', async () => {
    const { port } = await wsEchoServer({ perMessageDeflate: true });
    const ws = await connect(`ws://127.0.0.1:${port}/echo`);
    cleanups.push(() => ws.terminate());
    expect(ws.extensions).toContain('permessage-deflate');
    ws.send('hello ✓');
    expect(await nextMessage(ws)).toEqual({ data: 'hello ✓', isBinary: false });
    const bytes = new Uint8Array(200_000).map((_, i) => i % 7);
    ws.send(bytes);
    const echoed = await nextMessage(ws);
    expect(echoed.isBinary).toBe(true);
    expect(Buffer.compare(Buffer.from(echoed.data as Uint8Array), Buffer.from(bytes))).toBe(0);
    ws.close(1000, 'bye');
    expect(await ws.closed).toEqual({ code: 1000, reason: 'bye', wasClean: true });
  });

  it('sends subprotocols, headers and origin; reports the chosen subprotocol', async () => {
    const { wss, port } = await wsEchoServer({ handleProtocols: (protocols) => (protocols.has('b') ? 'b' : false) });
    const seen = new Promise<{ origin: string | undefined; auth: string | undefined }>((resolve) =>
      wss.once('connection', (_ws, req) => resolve({ origin: req.headers.origin, auth: req.headers.authorization })),
    );
    const ws = await connect(`ws://127.0.0.1:${port}/`, {
      protocols: ['a', 'b'],
      headers: { Authorization: 'Bearer t' },
      origin: 'https://me.example',
      perMessageDeflate: false,
    });
    cleanups.push(() => ws.terminate());
    expect(ws.protocol).toBe('b');
    expect(ws.extensions).toBe('');
    expect(await seen).toEqual({ origin: 'https://me.example', auth: 'Bearer t' });
  });

  it('onUpgrade sees the 101 response headers before connect() resolves; a throw drops the connection', async () => {
    const { wss, port } = await wsEchoServer({ handleProtocols: () => 'chat' });
    wss.on('headers', (headers) => headers.push('Set-Cookie: session=abc'));
    const seen: Array<{ status: number; cookie: string | undefined; protocol: string | undefined }> = [];
    const ws = await connect(`ws://127.0.0.1:${port}/`, {
      protocols: ['chat'],
      onUpgrade: (response) => seen.push({ status: response.status, cookie: response.headers.get('set-cookie'), protocol: response.protocol }),
    });
    cleanups.push(() => ws.terminate());
    expect(seen).toEqual([{ status: 101, cookie: 'session=abc', protocol: 'chat' }]);

    const serverSaw = new Promise<number>((resolve) => wss.once('connection', (client) => client.once('close', (code) => resolve(code))));
    const refusal = new Error('no cookie for you');
    await expect(
      connect(`ws://127.0.0.1:${port}/`, {
        onUpgrade: () => {
          throw refusal;
        },
      }),
    ).rejects.toBe(refusal);
    expect(await serverSaw).toBe(1006);
  });

  it('sees the server close code', async () => {
    const { wss, port } = await wsEchoServer();
    wss.on('connection', (client) => client.close(4001, 'go away'));
    const ws = await connect(`ws://127.0.0.1:${port}/`);
    expect(await ws.closed).toEqual({ code: 4001, reason: 'go away', wasClean: true });
  });

  it('reports 1006 when the server drops the socket', async () => {
    const { wss, port } = await wsEchoServer();
    wss.on('connection', (client) => setTimeout(() => client.terminate(), 20));
    const ws = await connect(`ws://127.0.0.1:${port}/`);
    expect(await ws.closed).toEqual({ code: 1006, reason: '', wasClean: false });
  });
});
