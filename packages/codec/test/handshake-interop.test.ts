import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ClientHandshake, type ClientHandshakeResult } from '../src/protocol/handshake-client.js';
import { acceptUpgrade, rejectUpgrade, ServerHandshake, type ServerHandshakeResult } from '../src/protocol/handshake-server.js';
import { selectSubprotocol } from '../src/protocol/subprotocol.js';

vi.setConfig({ testTimeout: 15_000 });

// Everything opened here is closed in afterEach so vitest exits.
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function wsServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}): Promise<{ server: WebSocketServer; port: number }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  );
  await once(server, 'listening');
  const address = server.address();
  if (typeof address === 'string' || address === null) throw new Error('no port');
  return { server, port: address.port };
}

/** Write our request over TCP and feed the answer to our client handshake. */
async function handshakeWith(port: number, hs: ClientHandshake): Promise<ClientHandshakeResult> {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(() => {
    socket.destroy();
  });
  await once(socket, 'connect');
  socket.write(hs.request);
  return new Promise<ClientHandshakeResult>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no handshake response in 5 s')), 5000);
    socket.on('data', (chunk: Buffer) => {
      if (hs.done) return;
      const result = hs.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (result.type !== 'need-more') {
        clearTimeout(timer);
        resolve(result);
      }
    });
    socket.on('end', () => {
      if (hs.done) return;
      clearTimeout(timer);
      resolve(hs.receiveEof());
    });
    socket.on('error', reject);
  });
}

describe('interop: our client request against ws', () => {
  it('is accepted by a ws WebSocketServer, with the accept value verified', async () => {
    const { server, port } = await wsServer({ handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false) });
    const connected = once(server, 'connection');
    const hs = new ClientHandshake({
      url: `ws://127.0.0.1:${port}/room?id=7`,
      origin: 'http://app.example',
      protocols: ['other', 'chat'],
      headers: { 'X-Token': 'abc' },
    });
    const result = await handshakeWith(port, hs);
    expect(result.type).toBe('accepted');
    if (result.type !== 'accepted') return;
    expect(result.response.protocol).toBe('chat');
    const [, request] = (await connected) as [WebSocket, import('node:http').IncomingMessage];
    expect(request.url).toBe('/room?id=7');
    expect(request.headers.origin).toBe('http://app.example');
    expect(request.headers['x-token']).toBe('abc');
  });

  it('negotiates permessage-deflate with ws and hands the extension response back', async () => {
    const { port } = await wsServer({ perMessageDeflate: true });
    const hs = new ClientHandshake({
      url: `ws://127.0.0.1:${port}/`,
      extensions: 'permessage-deflate; client_max_window_bits',
    });
    const result = await handshakeWith(port, hs);
    expect(result.type).toBe('accepted');
    if (result.type !== 'accepted') return;
    expect(result.response.extensions[0]?.name).toBe('permessage-deflate');
    expect(result.response.extensionsHeader).toContain('permessage-deflate');
  });

  it('reports a ws rejection as a HandshakeError with status and body', async () => {
    const { port } = await wsServer({
      verifyClient: (_info: unknown, done: (ok: boolean, code?: number, message?: string) => void) => done(false, 401, 'Nope'),
    });
    const hs = new ClientHandshake({ url: `ws://127.0.0.1:${port}/` });
    const result = await handshakeWith(port, hs);
    expect(result.type).toBe('failed');
    if (result.type !== 'failed') return;
    expect(result.error.code).toBe('FW_ERR_HANDSHAKE_STATUS');
    expect(result.error.status).toBe(401);
    expect(new TextDecoder().decode(result.error.body)).toBe('Nope');
  });
});

/** A TCP server that runs our ServerHandshake and answers per `decide`. */
type FinalResult = Exclude<ServerHandshakeResult, { type: 'need-more' }>;

async function ourServer(decide: (result: FinalResult) => Uint8Array | undefined): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const hs = new ServerHandshake();
    socket.on('data', (chunk: Buffer) => {
      if (hs.done) return;
      const result = hs.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (result.type === 'need-more') return;
      const bytes = decide(result);
      if (bytes !== undefined) socket.write(bytes);
    });
    socket.on('error', () => {});
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

function wsClient(url: string, protocols?: string[], options: ConstructorParameters<typeof WebSocket>[2] = {}): WebSocket {
  const client = new WebSocket(url, protocols, { perMessageDeflate: false, ...options });
  cleanups.push(() => {
    client.terminate();
  });
  client.on('error', () => {});
  return client;
}

describe("interop: ws's client against our server handshake", () => {
  it('reaches open with the subprotocol we select', async () => {
    let seen: { path: string; protocols: readonly string[]; headers: Record<string, string> } | undefined;
    const port = await ourServer((result) => {
      if (result.type !== 'request') return result.response;
      seen = { path: result.request.path, protocols: result.request.protocols, headers: result.request.headers.toObject() };
      const protocol = selectSubprotocol(result.request.protocols, ['v2', 'v1']);
      return acceptUpgrade(result.request, { protocol, headers: { 'X-Server': 'framewire' } });
    });
    const client = wsClient(`ws://127.0.0.1:${port}/path?q=1`, ['v1', 'v2'], { headers: { 'X-Client': 'ws' } });
    const upgrade = once(client, 'upgrade');
    await once(client, 'open');
    expect(client.protocol).toBe('v2');
    const [response] = (await upgrade) as [import('node:http').IncomingMessage];
    expect(response.headers['x-server']).toBe('framewire');
    expect(seen?.path).toBe('/path');
    expect(seen?.protocols).toEqual(['v1', 'v2']);
    expect(seen?.headers['x-client']).toBe('ws');
  });

  it('parses ws permessage-deflate offers and reaches open with a negotiated extension', async () => {
    let offers: unknown;
    const port = await ourServer((result) => {
      if (result.type !== 'request') return result.response;
      offers = result.request.extensions;
      return acceptUpgrade(result.request, { extensions: 'permessage-deflate; client_max_window_bits=15' });
    });
    const client = wsClient(`ws://127.0.0.1:${port}/`, undefined, { perMessageDeflate: true });
    await once(client, 'open');
    expect(offers).toEqual([{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] }]);
    expect(client.extensions).toContain('permessage-deflate');
  });

  it('rejects before any upgrade, and ws sees the status', async () => {
    const port = await ourServer((result) => (result.type === 'request' ? rejectUpgrade(403, { body: 'origin not allowed' }) : result.response));
    const client = wsClient(`ws://127.0.0.1:${port}/`);
    const [, response] = (await once(client, 'unexpected-response')) as [unknown, import('node:http').IncomingMessage];
    expect(response.statusCode).toBe(403);
  });
});
