// RFC 8441 bad input on Node: each case gets its documented answer (README
// "WebSocket over HTTP/2"), and the server and the other streams of the same
// connection go on.
import { constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, http2StreamOf, type CloseInfo, type Session } from '../src/index.js';
import { makeTestCert, type TestCert } from './helpers/certs.js';
import { indexedStatus, sendRawHeaders } from './helpers/h2-raw.js';
import { h2Session, startHttp2Echo, type Http2Echo } from './helpers/http2.js';

let cert: TestCert;
beforeAll(() => {
  cert = makeTestCert();
});
afterAll(() => cert.remove());

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function echo(options: Parameters<typeof startHttp2Echo>[1] = {}): Promise<Http2Echo> {
  const server = await startHttp2Echo(cert, options);
  cleanups.push(() => server.close());
  return server;
}

async function session(port: number): Promise<ClientHttp2Session> {
  const h2 = await h2Session(port, cert);
  cleanups.push(() => h2.destroy());
  return h2;
}

/** Send `headers` on a new stream and resolve with the response :status (or the RST code). */
function answer(h2: ClientHttp2Session, headers: Record<string, string>): Promise<{ status?: number; rstCode?: number; body: string }> {
  return new Promise((resolve) => {
    const stream = h2.request(headers, { endStream: false });
    let body = '';
    let status: number | undefined;
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (chunk: Buffer) => (body += chunk.toString()));
    stream.on('error', () => {});
    stream.on('close', () => resolve({ ...(status !== undefined ? { status } : { rstCode: stream.rstCode }), body }));
    stream.end();
  });
}

const base = { ':method': 'CONNECT', ':scheme': 'https', ':authority': 'localhost', 'sec-websocket-version': '13' };

/** A live WebSocket on the server still echoes: the proof that nothing else broke. */
async function stillEchoes(port: number): Promise<void> {
  const ws = await connect(`wss://127.0.0.1:${port}/alive`, { http2: true, tls: { ca: cert.cert } });
  const reply = new Promise((resolve) => ws.once('message', resolve));
  ws.send('alive');
  expect(await reply).toBe('alive');
  ws.close(1000);
  await ws.closed;
}

describe('extended CONNECT header blocks', () => {
  it('CONNECT without :protocol (a tunnel request) → 501', async () => {
    const server = await echo();
    const h2 = await session(server.port);
    const result = await answer(h2, { ':method': 'CONNECT', ':authority': 'example.com:443' });
    expect(result.status).toBe(501);
    expect(result.body).toMatch(/:protocol/);
    await stillEchoes(server.port);
  });

  it('a :protocol other than websocket → 501', async () => {
    const server = await echo();
    const h2 = await session(server.port);
    for (const protocol of ['foo', 'h2c', 'connect-udp']) {
      const result = await answer(h2, { ...base, ':protocol': protocol, ':path': '/' });
      expect(result.status).toBe(501);
    }
    await stillEchoes(server.port);
  });

  it('no Sec-WebSocket-Version → 426 with Sec-WebSocket-Version: 13, as over HTTP/1.1', async () => {
    const server = await echo();
    const h2 = await session(server.port);
    const result = await answer(h2, { ':method': 'CONNECT', ':scheme': 'https', ':authority': 'localhost', ':protocol': 'websocket', ':path': '/' });
    expect(result.status).toBe(426);
  });

  it(':path missing: the HTTP/2 layer resets the stream (malformed, RFC 9113 §8.1.1), the connection lives on', async () => {
    const server = await echo();
    const frames = await sendRawHeaders(server.port, cert.cert, [
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'https'],
      [':authority', 'localhost'],
      ['sec-websocket-version', '13'],
    ]);
    const last = frames.at(-1)!;
    // nghttp2 refuses the malformed block before the server sees it: RST_STREAM(PROTOCOL_ERROR).
    expect(last.type).toBe(3);
    expect(last.payload.readUInt32BE(0)).toBe(constants.NGHTTP2_PROTOCOL_ERROR);
    expect(server.wss.connectionCount).toBe(0);
    await stillEchoes(server.port);
  });

  it('a raw extended CONNECT with every field is answered :status 200', async () => {
    const server = await echo();
    const frames = await sendRawHeaders(server.port, cert.cert, [
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'https'],
      [':authority', 'localhost'],
      [':path', '/raw'],
      ['sec-websocket-version', '13'],
    ]);
    const headers = frames.find((f) => f.type === 1 && f.streamId === 1);
    expect(headers).toBeDefined();
    expect(indexedStatus(headers!.payload)).toBe(200);
  });
});

function closedOn(server: Http2Echo): Promise<CloseInfo> {
  return new Promise((resolve) => server.wss.once('connection', (ws) => void ws.closed.then(resolve)));
}

describe('floods, resets and lost connections', () => {
  it('a DATA flood of one message over maxPayload ends that WebSocket with 1009; the other stream echoes on', async () => {
    const server = await echo({ maxPayload: 1024 * 1024 });
    const tls = { ca: cert.cert };
    const bystander = await connect(`wss://127.0.0.1:${server.port}/b`, { http2: true, tls });
    const serverClosed = closedOn(server);
    const flooder = await connect(`wss://127.0.0.1:${server.port}/f`, { http2: true, tls, perMessageDeflate: false });
    expect(http2StreamOf(flooder)?.session).toBe(http2StreamOf(bystander)?.session);
    // 64 fragments of 64 KiB: the server fails the message at 1 MiB, before buffering the rest.
    const chunk = new Uint8Array(64 * 1024);
    for (let i = 0; i < 64; i++) flooder.send(chunk, { fin: i === 63 });
    expect((await serverClosed).code).toBe(1009);
    expect((await flooder.closed).code).toBe(1009);
    const reply = new Promise((resolve) => bystander.once('message', resolve));
    bystander.send('still here');
    expect(await reply).toBe('still here');
    bystander.close(1000);
    await bystander.closed;
  });

  it('RST_STREAM in the middle of a fragmented message: 1006 on the server for that stream only', async () => {
    const server = await echo();
    const tls = { ca: cert.cert };
    const bystander = await connect(`wss://127.0.0.1:${server.port}/b`, { http2: true, tls });
    const serverClosed = closedOn(server);
    const ws = await connect(`wss://127.0.0.1:${server.port}/r`, { http2: true, tls });
    ws.send('first half, ', { fin: false });
    await new Promise((resolve) => setTimeout(resolve, 20));
    (http2StreamOf(ws) as ClientHttp2Stream).close(constants.NGHTTP2_CANCEL);
    expect(await serverClosed).toMatchObject({ code: 1006, wasClean: false });
    expect((await ws.closed).code).toBe(1006);
    const reply = new Promise((resolve) => bystander.once('message', resolve));
    bystander.send('unaffected');
    expect(await reply).toBe('unaffected');
    bystander.close(1000);
    await bystander.closed;
  });

  it('the client connection lost (GOAWAY, then the socket destroyed): every WebSocket on it ends 1006, the server goes on', async () => {
    const server = await echo();
    const closes: Array<Promise<CloseInfo>> = [];
    server.wss.on('connection', (ws) => closes.push(ws.closed));
    const h2 = await session(server.port);
    const sockets: Session[] = [];
    for (let i = 0; i < 3; i++) sockets.push(await connect(`wss://127.0.0.1:${server.port}/g${i}`, { http2Session: h2 }));
    h2.destroy();
    const infos = await Promise.all(closes);
    expect(infos.map((info) => info.code)).toEqual([1006, 1006, 1006]);
    expect((await Promise.all(sockets.map((ws) => ws.closed))).map((info) => info.code)).toEqual([1006, 1006, 1006]);
    await stillEchoes(server.port);
  });

  it('the server closing sends 1001 to its HTTP/2 WebSockets', async () => {
    const server = await echo();
    const ws = await connect(`wss://127.0.0.1:${server.port}/`, { http2: true, tls: { ca: cert.cert } });
    const closing = server.wss.close({ timeout: 1000 });
    expect((await ws.closed).code).toBe(1001);
    await closing;
  });
});
