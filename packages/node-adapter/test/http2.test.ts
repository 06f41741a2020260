// RFC 8441 on Node: the server attached to an http2 secure server (h2 and
// http/1.1 on one port) and connect(url, { http2: true }).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, http2StreamOf, type Session } from '../src/index.js';
import { makeTestCert, type TestCert } from './helpers/certs.js';
import { startHttp2Echo } from './helpers/http2.js';

let cert: TestCert;
beforeAll(() => {
  cert = makeTestCert();
});
afterAll(() => cert.remove());

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function echo(options: Parameters<typeof startHttp2Echo>[1] = {}) {
  const server = await startHttp2Echo(cert, options);
  cleanups.push(() => server.close());
  return server;
}

function next(ws: Session): Promise<unknown> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(data)));
}

describe('WebSocket over HTTP/2 (RFC 8441)', () => {
  it('echoes text and binary over one extended CONNECT stream, with permessage-deflate', async () => {
    const server = await echo();
    const seen: Session[] = [];
    server.wss.on('connection', (ws) => seen.push(ws));
    const ws = await connect(`wss://127.0.0.1:${server.port}/chat`, { http2: true, tls: { ca: cert.cert } });
    expect(ws.transportKind).toBe('http2');
    expect(ws.extensions).toContain('permessage-deflate');
    let reply = next(ws);
    ws.send('hello h2');
    expect(await reply).toBe('hello h2');
    reply = next(ws);
    ws.send(new Uint8Array([1, 2, 3]));
    expect(Array.from(await reply as Uint8Array)).toEqual([1, 2, 3]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.transportKind).toBe('http2');
    ws.close(4001, 'bye');
    expect(await ws.closed).toMatchObject({ code: 4001, wasClean: true });
    expect((await seen[0]!.closed).code).toBe(4001);
  });
});
