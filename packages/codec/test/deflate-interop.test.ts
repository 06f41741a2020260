// permessage-deflate against ws (a real implementation written by others),
// over a real 127.0.0.1 socket: our client negotiation + compressors against
// ws servers configured with every parameter ws supports.
import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ClientOptions as WsClientOptions } from 'ws';
import { computeAcceptKey } from '../src/protocol/accept-key.js';
import type { PerMessageDeflateOptions as WsDeflateOptions } from 'ws';
import { Connection } from '../src/protocol/connection.js';
import type { ConnectionEvent } from '../src/protocol/events.js';
import type { Compressor } from '../src/protocol/compressor.js';
import { permessageDeflate } from '../src/protocol/deflate-extension.js';
import type { PerMessageDeflateOptions } from '../src/protocol/deflate-extension.js';
import { pakoCompressor } from '../src/protocol/deflate-pako.js';
import { ProtocolError } from '../src/protocol/errors.js';
import type { MessageExtension } from '../src/protocol/extension.js';
import { parseExtensions } from '../src/protocol/extension-header.js';
import { encodeFrame } from '../src/protocol/frame.js';
import { FrameDecoder } from '../src/protocol/frame-decoder.js';
import { zlibCompressor } from '../src/zlib/index.js';
import { jsonLike } from './deflate-helpers.js';

const servers: WebSocketServer[] = [];
const sockets: net.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A ws echo server (same type back) with permessage-deflate configured as given. */
async function wsEchoServer(perMessageDeflate: WsDeflateOptions): Promise<{ port: number; wss: WebSocketServer }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0, ...perMessageDeflate } });
  servers.push(wss);
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => {
    ws.on('error', () => {}); // the bad-RSV1 test makes ws fail the connection on purpose
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return { port: (wss.address() as net.AddressInfo).port, wss };
}

/** Opens a TCP socket, sends a hand-written upgrade request, returns the response head and the bytes after it. */
async function handshake(port: number, extensions: string): Promise<{ socket: net.Socket; head: string; rest: Uint8Array }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      `Sec-WebSocket-Extensions: ${extensions}\r\n\r\n`,
  );
  let buffered = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ socket, head: buffered.subarray(0, end).toString('latin1'), rest: new Uint8Array(buffered.subarray(end + 4)) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

function extensionHeader(head: string): string[] {
  return head
    .split('\r\n')
    .filter((line) => /^sec-websocket-extensions:/i.test(line))
    .map((line) => line.slice(line.indexOf(':') + 1).trim());
}

/** Negotiates with our client negotiator; returns the extension and the raw response value. */
async function negotiate(port: number, options: PerMessageDeflateOptions) {
  const negotiator = permessageDeflate(options);
  const { socket, head, rest } = await handshake(port, negotiator.offer());
  expect(head).toMatch(/^HTTP\/1\.1 101/);
  const values = extensionHeader(head);
  const parsed = parseExtensions(values);
  if (!parsed.ok) throw new Error(parsed.reason);
  const extension = negotiator.acceptClient(parsed.value);
  if (extension === undefined || extension instanceof ProtocolError) throw new Error(`not negotiated: ${String(extension)}`);
  return { socket, rest, extension, response: values.join(', ') };
}

/** Drives a client Connection over the socket: sends `messages`, collects the echoes and counts compressed frames. */
async function echoThroughConnection(
  socket: net.Socket,
  rest: Uint8Array,
  extension: MessageExtension,
  messages: readonly (string | Uint8Array)[],
): Promise<{ received: ConnectionEvent[]; compressedFrames: number }> {
  const conn = new Connection({ role: 'client', now: () => performance.now(), extension });
  // A second decoder only watches RSV1 on what ws sends.
  const tap = new FrameDecoder({ role: 'client', maxFrameSize: Infinity, allowedRsv: { rsv1: true } });
  let compressedFrames = 0;
  const received: ConnectionEvent[] = [];
  const flush = () => {
    for (const chunk of conn.takeOutput()) socket.write(chunk);
  };
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout: ${received.length} events`)), 15_000);
    const drain = async () => {
      for (;;) {
        const event = conn.readEvent();
        if (event === undefined) {
          const pending = conn.pending();
          if (pending === undefined) break;
          await pending;
          continue;
        }
        received.push(event);
        if (event.type === 'error' || event.type === 'closed') {
          clearTimeout(timer);
          resolve();
          return;
        }
        if (received.filter((e) => e.type === 'text' || e.type === 'binary').length === messages.length) {
          clearTimeout(timer);
          conn.close(1000);
          flush();
          resolve();
          return;
        }
      }
      flush();
    };
    let chain = Promise.resolve();
    const onBytes = (bytes: Uint8Array) => {
      tap.push(bytes.slice());
      for (let item = tap.read(); item !== undefined; item = tap.read()) {
        if (item.type === 'frame' && item.frame.rsv1) compressedFrames++;
      }
      conn.receive(bytes);
      chain = chain.then(drain, reject);
    };
    socket.on('data', (chunk: Buffer) => onBytes(new Uint8Array(chunk)));
    if (rest.length > 0) onBytes(rest);
  });
  for (const m of messages) {
    if (typeof m === 'string') conn.sendText(m);
    else conn.sendBinary(m);
  }
  // Encodes may be async (node:zlib): wait for them before flushing.
  while (conn.pending() !== undefined) await conn.pending();
  flush();
  await done;
  return { received, compressedFrames };
}

const engines: Record<string, () => Compressor> = { zlib: () => zlibCompressor(), pako: pakoCompressor };

// Each row: ws server options, our client options, the response we expect.
const combinations: ReadonlyArray<[string, WsDeflateOptions, PerMessageDeflateOptions, RegExp]> = [
  ['defaults', {}, {}, /^permessage-deflate$/],
  ['server_no_context_takeover (server policy)', { serverNoContextTakeover: true }, {}, /server_no_context_takeover/],
  ['server_no_context_takeover (client asks)', {}, { serverNoContextTakeover: true }, /server_no_context_takeover/],
  ['client_no_context_takeover (server policy)', { clientNoContextTakeover: true }, {}, /client_no_context_takeover/],
  ['client_no_context_takeover (client promises)', {}, { clientNoContextTakeover: true }, /client_no_context_takeover/],
  ['server_max_window_bits=10 (server policy)', { serverMaxWindowBits: 10 }, {}, /server_max_window_bits=10/],
  ['server_max_window_bits=9 (client asks)', {}, { serverMaxWindowBits: 9 }, /server_max_window_bits=9/],
  ['server_max_window_bits=8 (client asks)', {}, { serverMaxWindowBits: 8 }, /server_max_window_bits=8/],
  ['client_max_window_bits=9 (server policy)', { clientMaxWindowBits: 9 }, {}, /client_max_window_bits=9/],
  ['client_max_window_bits=11 (client caps itself)', {}, { clientMaxWindowBits: 11 }, /client_max_window_bits=11/],
  [
    'everything at once',
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 10 },
    { serverMaxWindowBits: 12 },
    /^(?=.*server_no_context_takeover)(?=.*client_no_context_takeover)(?=.*server_max_window_bits=9)(?=.*client_max_window_bits=10)/,
  ],
];

function messages(): (string | Uint8Array)[] {
  const out: (string | Uint8Array)[] = [];
  for (let i = 0; i < 10; i++) {
    const bytes = jsonLike(i % 4, 200 + i * 900); // repeats reach back further than small windows
    out.push(i % 3 === 2 ? bytes : new TextDecoder().decode(bytes));
  }
  out.push('', 'x', 'héllo wörld '.repeat(500));
  return out;
}

describe.each(Object.keys(engines))('%s engine against a ws server', (engine) => {
  it.each(combinations)('%s: negotiates and echoes compressed messages through a Connection', async (_name, wsOptions, ours, expected) => {
    const { port } = await wsEchoServer(wsOptions);
    const { socket, rest, extension, response } = await negotiate(port, { ...ours, threshold: 0, compressor: engines[engine]!() });
    expect(response).toMatch(expected);
    const sent = messages();
    const { received, compressedFrames } = await echoThroughConnection(socket, rest, extension, sent);
    const data = received.filter((e) => e.type === 'text' || e.type === 'binary');
    expect(received.find((e) => e.type === 'error')).toBeUndefined();
    expect(data).toHaveLength(sent.length);
    data.forEach((event, i) => {
      const m = sent[i]!;
      if (typeof m === 'string') expect(event).toEqual({ type: 'text', data: m });
      else expect(event).toEqual({ type: 'binary', data: m });
    });
    // ws (threshold 0) compressed every echo.
    expect(compressedFrames).toBe(sent.length);
  });
});

describe('raw frames against ws (no Connection)', () => {
  it('RSV1 frames built with encodeFrame and our extension are inflated by ws, and ws frames by us', async () => {
    const { port } = await wsEchoServer({ clientMaxWindowBits: 10, serverMaxWindowBits: 11 });
    const { socket, rest, extension, response } = await negotiate(port, { threshold: 0, compressor: pakoCompressor() });
    expect(response).toMatch(/^permessage-deflate(?=.*; server_max_window_bits=11)(?=.*; client_max_window_bits=10)/);
    const decoder = new FrameDecoder({ role: 'client', maxFrameSize: Infinity, allowedRsv: { rsv1: true } });
    const replies: Uint8Array[] = [];
    const sent: Uint8Array[] = [];
    const got = new Promise<void>((resolve) => {
      const onBytes = async (bytes: Uint8Array) => {
        decoder.push(bytes);
        for (let item = decoder.read(); item !== undefined; item = decoder.read()) {
          if (item.type !== 'frame') throw new Error(`unexpected ${item.type}`);
          expect(item.frame.rsv1).toBe(true);
          replies.push(await extension.decode([item.frame.payload], 1 << 24));
          if (replies.length === 3) resolve();
        }
      };
      let chain = Promise.resolve();
      socket.on('data', (c: Buffer) => (chain = chain.then(() => onBytes(new Uint8Array(c)))));
      if (rest.length > 0) chain = chain.then(() => onBytes(rest));
    });
    for (let i = 0; i < 3; i++) {
      const message = jsonLike(i, 5000);
      sent.push(message);
      const compressed = (await extension.encode(message))!;
      // RFC 7692 §6.1: RSV1 on the first frame of a compressed message only; split in two frames.
      const half = compressed.length >> 1;
      for (const part of encodeFrame({ opcode: 0x2, fin: false, rsv1: true, payload: compressed.subarray(0, half), mask: true })) socket.write(part);
      for (const part of encodeFrame({ opcode: 0x0, fin: true, rsv1: false, payload: compressed.subarray(half), mask: true })) socket.write(part);
    }
    await got;
    expect(replies).toEqual(sent);
    extension.dispose();
  });

  it('ws closes with 1002 when a continuation frame carries RSV1', async () => {
    const { port } = await wsEchoServer({});
    const { socket, rest, extension } = await negotiate(port, { threshold: 0, compressor: pakoCompressor() });
    void rest;
    const compressed = (await extension.encode(jsonLike(1, 3000)))!;
    const closed = new Promise<Buffer>((resolve) => {
      let all = Buffer.alloc(0);
      socket.on('data', (c: Buffer) => (all = Buffer.concat([all, c])));
      socket.on('close', () => resolve(all));
    });
    for (const part of encodeFrame({ opcode: 0x2, fin: false, rsv1: true, payload: compressed.subarray(0, 10), mask: true })) socket.write(part);
    for (const part of encodeFrame({ opcode: 0x0, fin: true, rsv1: true, payload: compressed.subarray(10), mask: true })) socket.write(part);
    const bytes = await closed;
    // A close frame (opcode 8) with code 1002.
    expect(bytes[0]).toBe(0x88);
    expect((bytes[2]! << 8) | bytes[3]!).toBe(1002);
    extension.dispose();
  });
});

describe('ws client against our server-side negotiation', () => {
  const netServers: net.Server[] = [];
  afterEach(async () => {
    await Promise.all(netServers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  /**
   * A hand-driven server on 127.0.0.1: reads the upgrade request, lets
   * permessageDeflate() choose, answers 101, then echoes through a server
   * Connection with the negotiated extension.
   */
  async function ourEchoServer(options: PerMessageDeflateOptions): Promise<{ port: number; responses: string[] }> {
    const responses: string[] = [];
    const negotiator = permessageDeflate({ threshold: 0, compressor: zlibCompressor(), ...options });
    const server = net.createServer((socket) => {
      sockets.push(socket);
      let head = Buffer.alloc(0);
      const onHead = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onHead);
        const lines = head.subarray(0, end).toString('latin1').split('\r\n');
        const header = (name: string) =>
          lines.filter((l) => l.toLowerCase().startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trim());
        const parsed = parseExtensions(header('sec-websocket-extensions'));
        const negotiated = parsed.ok ? negotiator.negotiateServer(parsed.value) : undefined;
        responses.push(negotiated?.response ?? '');
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Accept: ${computeAcceptKey(header('sec-websocket-key')[0]!)}\r\n` +
            (negotiated ? `Sec-WebSocket-Extensions: ${negotiated.response}\r\n` : '') +
            '\r\n',
        );
        const conn = new Connection({ role: 'server', now: () => performance.now(), extension: negotiated?.extension });
        let chain = Promise.resolve();
        const pump = async () => {
          for (;;) {
            const event = conn.readEvent();
            if (event === undefined) {
              const pending = conn.pending();
              if (pending === undefined) break;
              await pending;
              continue;
            }
            if (event.type === 'text') conn.sendText(event.data);
            else if (event.type === 'binary') conn.sendBinary(event.data);
          }
          while (conn.pending() !== undefined) await conn.pending();
          for (const out of conn.takeOutput()) socket.write(out);
          if (conn.closeTransport) socket.end();
        };
        const feed = (bytes: Uint8Array) => {
          conn.receive(bytes);
          chain = chain.then(pump);
        };
        socket.on('data', (c: Buffer) => feed(new Uint8Array(c)));
        socket.on('end', () => {
          conn.receiveEof();
          chain = chain.then(pump);
        });
        const rest = head.subarray(end + 4);
        if (rest.length > 0) feed(new Uint8Array(rest));
      };
      socket.on('data', onHead);
    });
    netServers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { port: (server.address() as net.AddressInfo).port, responses };
  }

  const rows: ReadonlyArray<[string, WsClientOptions['perMessageDeflate'], PerMessageDeflateOptions, RegExp]> = [
    ['defaults', {}, {}, /^permessage-deflate$/],
    ['ws asks server_no_context_takeover', { serverNoContextTakeover: true }, {}, /server_no_context_takeover/],
    ['ws promises client_no_context_takeover', { clientNoContextTakeover: true }, {}, /client_no_context_takeover/],
    ['ws asks server_max_window_bits=9', { serverMaxWindowBits: 9 }, {}, /server_max_window_bits=9/],
    ['ws caps client_max_window_bits=10', { clientMaxWindowBits: 10 }, {}, /client_max_window_bits=10/],
    ['our policy limits the client window to 8', {}, { clientMaxWindowBits: 8 }, /client_max_window_bits=8/],
    ['our policy: no takeover either way, 9-bit server window', {}, { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9 }, /^(?=.*server_no_context_takeover)(?=.*client_no_context_takeover)(?=.*server_max_window_bits=9)/],
  ];

  it.each(rows)('%s', async (_name, wsOptions, ours, expected) => {
    const { port, responses } = await ourEchoServer(ours);
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0, ...(wsOptions as object) } });
    const sent = messages();
    const received: (string | Buffer)[] = [];
    await new Promise<void>((resolve, reject) => {
      client.on('error', reject);
      client.on('open', () => {
        for (const m of sent) client.send(m, { binary: typeof m !== 'string' });
      });
      client.on('message', (data: Buffer, isBinary: boolean) => {
        received.push(isBinary ? data : data.toString('utf8'));
        if (received.length === sent.length) client.close(1000);
      });
      client.on('close', () => resolve());
    });
    expect(responses[0]).toMatch(expected);
    expect(client.extensions).toMatch(/permessage-deflate/);
    expect(received.map((r) => (typeof r === 'string' ? r : new Uint8Array(r)))).toEqual(sent);
  });
});
