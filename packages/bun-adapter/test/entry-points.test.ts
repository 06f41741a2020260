// The Bun entry points (the root README's "Entry points"):
// bin/echo-server.ts and bin/echo-client.ts run by the bun binary, directly
// and through the root dispatchers scripts/echo-{server,client}.mjs.
import { describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { connect, reject, type Session } from '../src/index.js';
import { echoServer, makeTestCert, nextConnection, nodeBinary, onCleanup, repoRoot, startChild, within } from './helpers.js';
import { useCleanup } from './helpers.js';

useCleanup();

const bun = process.execPath; // the bun running these tests (node_modules/.bin/bun)
const bin = join(import.meta.dir, '..', 'bin');

/** A port nothing listens on right now. */
function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** Echo check with Bun's built-in client: text and binary come back with their types. */
async function checkEcho(url: string, options: Bun.WebSocketOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: true, ...options });
  ws.binaryType = 'arraybuffer';
  onCleanup(() => ws.readyState <= 1 && ws.terminate());
  await within(new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject))), 5000, 'open');
  expect(ws.extensions).toContain('permessage-deflate');
  const replies: Array<string | ArrayBuffer> = [];
  ws.onmessage = (e) => replies.push(e.data as string | ArrayBuffer);
  ws.send('text ✓');
  ws.send(new Uint8Array([1, 2, 3]));
  await within(
    (async () => {
      while (replies.length < 2) await Bun.sleep(5);
    })(),
    5000,
    'echoes',
  );
  expect(replies[0]).toBe('text ✓');
  expect(Array.from(new Uint8Array(replies[1] as ArrayBuffer))).toEqual([1, 2, 3]);
  return ws;
}

describe('bin/echo-server.ts', () => {
  it('prints READY, echoes with types over permessage-deflate, and SIGTERM closes with 1001 then exits 0', async () => {
    const port = freePort();
    const server = startChild(bun, ['run', join(bin, 'echo-server.ts'), '--port', String(port)]);
    await server.line(/^READY$/);
    const ws = await checkEcho(`ws://127.0.0.1:${port}/any/path`);
    // 64 MiB messages are allowed: a 20 MiB one comes back whole.
    const big = new Uint8Array(20 * 1024 * 1024).fill(0x5a);
    const bigEcho = within(new Promise<MessageEvent>((resolve) => ws.addEventListener('message', resolve, { once: true })), 20_000, 'big echo');
    ws.send(big);
    expect(((await bigEcho).data as ArrayBuffer).byteLength).toBe(big.length);
    const closed = within(new Promise<CloseEvent>((resolve) => (ws.onclose = resolve)), 5000, 'close');
    server.kill('SIGTERM');
    expect((await closed).code).toBe(1001);
    expect(await within(server.exited, 5000, 'exit')).toBe(0);
  }, 60_000);

  it('--cert/--key serve wss://', async () => {
    const cert = makeTestCert();
    onCleanup(() => cert.remove());
    const port = freePort();
    const server = startChild(bun, ['run', join(bin, 'echo-server.ts'), '--port', String(port), '--cert', cert.certPath, '--key', cert.keyPath]);
    await server.line(/^READY$/);
    const ws = await connect(`wss://127.0.0.1:${port}/`, { tls: { ca: cert.cert } });
    const echo = within(new Promise((resolve) => ws.once('message', (data, isBinary) => resolve([data, isBinary]))), 5000, 'echo');
    ws.send('secure');
    expect(await echo).toEqual(['secure', false]);
    ws.close();
    await ws.closed;
    server.kill('SIGINT');
    expect(await within(server.exited, 5000, 'exit')).toBe(0);
  }, 30_000);

  it('runs through the root dispatcher: pnpm echo-server --runtime bun --port N', async () => {
    const port = freePort();
    const server = startChild(nodeBinary, [join(repoRoot, 'scripts', 'echo-server.mjs'), '--runtime', 'bun', '--port', String(port)], { cwd: repoRoot });
    await server.line(/^READY$/, 60_000);
    const ws = await checkEcho(`ws://127.0.0.1:${port}/`);
    const closed = within(new Promise<CloseEvent>((resolve) => (ws.onclose = resolve)), 5000, 'close');
    server.kill('SIGTERM');
    expect((await closed).code).toBe(1001);
    expect(await within(server.exited, 5000, 'exit')).toBe(0);
  }, 90_000);

  it('--runtime bun-serve through the root dispatcher: READY, echoes with types over permessage-deflate (Bun.serve), 20 MiB message, SIGTERM → 1001, exit 0', async () => {
    const port = freePort();
    const server = startChild(nodeBinary, [join(repoRoot, 'scripts', 'echo-server.mjs'), '--runtime', 'bun-serve', '--port', String(port)], { cwd: repoRoot });
    await server.line(/^READY$/, 60_000);
    // A plain GET is not an upgrade: the codec's refusal, as on the raw-TCP server.
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBeGreaterThanOrEqual(400);
    const ws = await checkEcho(`ws://127.0.0.1:${port}/any/path`);
    const big = new Uint8Array(20 * 1024 * 1024).fill(0x5a);
    const bigEcho = within(new Promise<MessageEvent>((resolve) => ws.addEventListener('message', resolve, { once: true })), 20_000, 'big echo');
    ws.send(big);
    expect(((await bigEcho).data as ArrayBuffer).byteLength).toBe(big.length);
    const closed = within(new Promise<CloseEvent>((resolve) => (ws.onclose = resolve)), 5000, 'close');
    server.kill('SIGTERM');
    expect((await closed).code).toBe(1001);
    expect(await within(server.exited, 5000, 'exit')).toBe(0);
  }, 90_000);

  it('echo-client refuses --runtime bun-serve (server only)', async () => {
    const client = startChild(nodeBinary, [join(repoRoot, 'scripts', 'echo-client.mjs'), '--runtime', 'bun-serve', 'ws://127.0.0.1:1/'], { cwd: repoRoot });
    expect(await within(client.exited, 30_000, 'exit')).toBe(2);
  }, 40_000);
});

/** A server that sends a text and a binary message, checks the echoes, then closes with 1000. */
async function drivingServer(): Promise<{ port: number; result: Promise<{ text: unknown; binary: unknown }> }> {
  const { server, port } = await echoServer({ perMessageDeflate: true });
  server.removeAllListeners('connection');
  const result = new Promise<{ text: unknown; binary: unknown }>((resolve) => {
    server.once('connection', (ws: Session) => {
      const replies: Array<[unknown, boolean]> = [];
      ws.on('message', (data, isBinary) => {
        replies.push([data, isBinary]);
        if (replies.length === 2) {
          resolve({ text: replies[0], binary: replies[1] });
          ws.close(1000, 'done');
        }
      });
      ws.send('ping ✓');
      ws.send(new Uint8Array([4, 5, 6]));
    });
  });
  return { port, result };
}

describe('bin/echo-client.ts', () => {
  it('echoes with types, prints CLOSE 1000 and exits 0 after a clean close (also through the dispatcher)', async () => {
    for (const viaDispatcher of [false, true]) {
      const { port, result } = await drivingServer();
      const url = `ws://127.0.0.1:${port}/`;
      const client = viaDispatcher
        ? startChild(nodeBinary, [join(repoRoot, 'scripts', 'echo-client.mjs'), '--runtime', 'bun', url], { cwd: repoRoot })
        : startChild(bun, ['run', join(bin, 'echo-client.ts'), url]);
      expect(await within(result, 30_000, 'echoes')).toEqual({ text: ['ping ✓', false], binary: [new Uint8Array([4, 5, 6]), true] });
      expect(await within(client.exited, 10_000, 'exit')).toBe(0);
      expect(client.stdout()).toContain('CLOSE 1000 done');
    }
  }, 90_000);

  it('exits non-zero after a refused handshake or a failed connection', async () => {
    const { port } = await echoServer({ accept: () => reject(403) });
    const refused = startChild(bun, ['run', join(bin, 'echo-client.ts'), `ws://127.0.0.1:${port}/`]);
    expect(await within(refused.exited, 10_000, 'exit')).not.toBe(0);
    expect(refused.stdout()).toContain('FAILED FW_ERR_HANDSHAKE_STATUS (HTTP 403)');
    const nothing = startChild(bun, ['run', join(bin, 'echo-client.ts'), `ws://127.0.0.1:${freePort()}/`]);
    expect(await within(nothing.exited, 10_000, 'exit')).not.toBe(0);
    expect(nothing.stdout()).toContain('FAILED FW_ERR_CONNECTION_FAILED');
  }, 30_000);

  it('exits non-zero after an abrupt end', async () => {
    const { server, port } = await echoServer();
    const seen = nextConnection(server);
    const client = startChild(bun, ['run', join(bin, 'echo-client.ts'), `ws://127.0.0.1:${port}/`]);
    (await within(seen, 10_000, 'client connected')).terminate();
    expect(await within(client.exited, 10_000, 'exit')).toBe(1);
    expect(client.stdout()).toContain('CLOSE 1006');
  }, 30_000);
});
