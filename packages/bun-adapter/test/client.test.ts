// Our Bun client (Bun.connect) against Bun's built-in server (Bun.serve
// websocket) and a ws server in a Node child process. The ConnectError codes
// against servers that fail on purpose are in the shared client-errors suite.
import { describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { ConnectError, HandshakeStatusError, connect, type Session } from '../src/index.js';
import { makeTestCert, nodeBinary, onCleanup, startChild, useCleanup, within } from './helpers.js';

useCleanup();

/** Bun's own WebSocket server: echoes with the type; `close:<code>` makes it close. */
function bunServe(options: { tls?: { cert: string; key: string }; status?: number; protocol?: string } = {}): ReturnType<typeof Bun.serve> {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
    fetch(request, srv) {
      if (options.status !== undefined) return new Response('go away', { status: options.status, headers: { 'X-Why': 'test' } });
      const headers = options.protocol !== undefined ? { 'Sec-WebSocket-Protocol': options.protocol } : undefined;
      if (srv.upgrade(request, headers !== undefined ? { headers } : {})) return undefined;
      return new Response('upgrade please', { status: 426 });
    },
    websocket: {
      perMessageDeflate: true,
      message(ws, message) {
        if (typeof message === 'string' && message.startsWith('close:')) ws.close(Number(message.slice(6)), 'as asked');
        else ws.send(message);
      },
    },
  });
  onCleanup(() => server.stop(true));
  return server;
}

function nextMessage(session: Session): Promise<{ data: unknown; isBinary: boolean }> {
  return within(new Promise((resolve) => session.once('message', (data, isBinary) => resolve({ data, isBinary }))), 5000, 'message');
}

async function connectError(url: string, options: Parameters<typeof connect>[1] = {}): Promise<ConnectError> {
  const error = await connect(url, options).then(
    (session) => {
      session.terminate();
      throw new Error('unexpectedly connected');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

describe("with Bun's built-in server (Bun.serve)", () => {
  it('echoes text and binary with their types over permessage-deflate and closes cleanly', async () => {
    const server = bunServe();
    const ws = await connect(`ws://127.0.0.1:${server.port}/`);
    expect(ws.extensions).toContain('permessage-deflate');
    ws.send('hello ✓ '.repeat(10_000));
    const text = await nextMessage(ws);
    expect(text).toEqual({ data: 'hello ✓ '.repeat(10_000), isBinary: false });
    const bytes = new Uint8Array(250_000).map((_, i) => i % 241);
    ws.send(bytes);
    const binary = await nextMessage(ws);
    expect(binary.isBinary).toBe(true);
    expect(Buffer.from(binary.data as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
    ws.close(1000, 'done');
    expect(await within(ws.closed, 5000, 'closed')).toEqual({ code: 1000, reason: 'done', wasClean: true });
  });

  it('reports a close the server starts, with its code and reason', async () => {
    const server = bunServe();
    const ws = await connect(`ws://127.0.0.1:${server.port}/`, { perMessageDeflate: false });
    expect(ws.extensions).toBe('');
    ws.send('close:4001');
    expect(await within(ws.closed, 5000, 'closed')).toEqual({ code: 4001, reason: 'as asked', wasClean: true });
  });

  it('takes the subprotocol the server chose', async () => {
    const server = bunServe({ protocol: 'b' });
    const ws = await connect(`ws://127.0.0.1:${server.port}/`, { protocols: ['a', 'b'] });
    expect(ws.protocol).toBe('b');
    ws.close();
    await ws.closed;
  });

  it('wss:// with a trusted CA; an untrusted certificate is FW_ERR_TLS', async () => {
    const cert = makeTestCert();
    onCleanup(() => cert.remove());
    const server = bunServe({ tls: { cert: cert.cert, key: cert.key } });
    const ws = await connect(`wss://127.0.0.1:${server.port}/secure`, { tls: { ca: cert.cert } });
    ws.send(new Uint8Array([9, 8, 7]));
    expect(await nextMessage(ws)).toEqual({ data: new Uint8Array([9, 8, 7]), isBinary: true });
    ws.close();
    expect((await ws.closed).wasClean).toBe(true);
    const untrusted = await connectError(`wss://127.0.0.1:${server.port}/`);
    expect(untrusted.code).toBe('FW_ERR_TLS');
    const wrongName = await connectError(`wss://127.0.0.1:${server.port}/`, { tls: { ca: cert.cert, servername: 'example.com' } });
    expect(wrongName.code).toBe('FW_ERR_TLS');
  });

  it('a refused upgrade is a HandshakeStatusError with status, headers and body', async () => {
    const server = bunServe({ status: 401 });
    const error = await connectError(`ws://127.0.0.1:${server.port}/`);
    expect(error).toBeInstanceOf(HandshakeStatusError);
    const refused = error as HandshakeStatusError;
    expect(refused.code).toBe('FW_ERR_HANDSHAKE_STATUS');
    expect(refused.status).toBe(401);
    expect(refused.headers['x-why']).toBe('test');
    expect(new TextDecoder().decode(refused.body)).toBe('go away');
  });
});

describe('with a ws server (Node child process)', () => {
  it('echoes over permessage-deflate, takes the subprotocol, and the server sees our close code', async () => {
    const child = startChild(nodeBinary, [join(import.meta.dir, 'fixtures', 'ws-echo-server.mjs')]);
    const port = Number((await child.line(/^PORT \d+/)).split(' ')[1]);
    const ws = await connect(`ws://127.0.0.1:${port}/`, { protocols: ['x', 'chat.v1'] });
    expect(ws.extensions).toContain('permessage-deflate');
    expect(ws.protocol).toBe('chat.v1');
    ws.send('from bun ✓');
    expect(await nextMessage(ws)).toEqual({ data: 'from bun ✓', isBinary: false });
    const bytes = new Uint8Array(1_000_000).map((_, i) => (i * 7) % 256);
    ws.send(bytes);
    const binary = await nextMessage(ws);
    expect(binary.isBinary).toBe(true);
    expect(Buffer.from(binary.data as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
    ws.close(4005, 'bun bye');
    expect(await within(ws.closed, 5000, 'closed')).toEqual({ code: 4005, reason: 'bun bye', wasClean: true });
    expect(await child.line(/^CLOSED /)).toBe('CLOSED 4005 bun bye');
    child.kill();
  });
});
