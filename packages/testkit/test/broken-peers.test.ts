import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptFor, headEnd, header, parseHead } from '../src/http.js';
import { runServerSuite } from '../src/runner-server.js';
import { startWsEcho } from './helpers.js';

// The kit must be able to fail an implementation: these peers are wrong on purpose.

/** A raw server that answers the handshake, then `onFrames` handles the bytes that follow. */
async function rawServer(onFrames: (socket: Socket, data: Buffer) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    let open = false;
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      if (open) return onFrames(socket, data);
      buf = Buffer.concat([buf, data]);
      const end = headEnd(buf);
      if (end === -1) return;
      const head = parseHead(buf.subarray(0, end).toString('latin1'));
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(header(head, 'sec-websocket-key') ?? '')}\r\n\r\n`);
      open = true;
      if (buf.length > end) onFrames(socket, buf.subarray(end));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return { url: `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`, server };
}

describe('broken peers are failed', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('a server that skips UTF-8 validation fails the invalid UTF-8 cases', async () => {
    const ws = await startWsEcho({ skipUTF8Validation: true });
    cleanups.push(ws.close);
    const report = await runServerSuite({ url: ws.url, filter: 'utf8.invalid.surrogate-d800.whole,utf8.invalid.byte-ff.whole,utf8.valid.greek.whole' });
    const byId = new Map(report.results.map((r) => [r.id, r]));
    expect(byId.get('utf8.invalid.surrogate-d800.whole')?.verdict).toBe('fail');
    expect(byId.get('utf8.invalid.surrogate-d800.whole')?.reason).toMatch(/invalid UTF-8/);
    expect(byId.get('utf8.invalid.byte-ff.whole')?.verdict).toBe('fail');
    expect(byId.get('utf8.valid.greek.whole')?.verdict).toBe('pass');
  });

  it('a server that echoes raw bytes (masked frames) fails', async () => {
    const { url, server } = await rawServer((socket, data) => socket.write(data));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const report = await runServerSuite({ url, filter: 'framing.length.text.5,framing.length.text.125,ping.payload.1' });
    expect(report.counts.fail).toBe(report.results.length);
    expect(report.results[0]?.reason).toMatch(/masked frame from a server/);
  });

  it('a silent server fails by timeout without hanging the run', async () => {
    const { url, server } = await rawServer(() => undefined);
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const t0 = performance.now();
    const report = await runServerSuite({ url, timeoutMs: 500, filter: 'ping.payload.*,close.code.invalid.1005,rsv.rsv1.text' });
    expect(report.results.length).toBe(6);
    expect(report.counts.fail).toBe(6);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(report.results.find((r) => r.id === 'close.code.invalid.1005')?.reason).toMatch(/not failed within/);
  });
});
