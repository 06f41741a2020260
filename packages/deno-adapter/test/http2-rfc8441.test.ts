// RFC 8441 on Deno: what this runtime offers, checked rather than assumed.
// Deno.serve speaks HTTP/2 over TLS but does not advertise
// SETTINGS_ENABLE_CONNECT_PROTOCOL, so browsers never send it an extended
// CONNECT; Deno's node:http2 server does, and @framewire/node-adapter's
// WebSocketServer runs on it unchanged (the route the README gives for
// WebSocket over HTTP/2 on Deno).
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { connect as http2Connect, createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
// The Node adapter as a workspace devDependency, so turbo builds it before this package's tests.
import { WebSocketServer, connect } from '@framewire/node-adapter';

function makeCert(): { key: string; cert: string; remove(): void } {
  const dir = Deno.makeTempDirSync({ dir: '/tmp', prefix: 'fw-deno-h2-' });
  const made = new Deno.Command('openssl', {
    args: [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext', 'basicConstraints=critical,CA:FALSE',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ],
    stdout: 'null',
    stderr: 'null',
  }).outputSync();
  assert.ok(made.success, 'openssl made the test certificate');
  return {
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

Deno.test('Deno.serve speaks h2 over TLS without SETTINGS_ENABLE_CONNECT_PROTOCOL: an extended CONNECT is refused', async () => {
  const pem = makeCert();
  const server = Deno.serve({ port: 0, hostname: '127.0.0.1', cert: pem.cert, key: pem.key, onListen: () => {} }, () => new Response('h2'));
  try {
    const session = http2Connect(`https://127.0.0.1:${server.addr.port}`, { ca: pem.cert });
    session.on('error', () => {});
    await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
    assert.equal(session.alpnProtocol, 'h2');
    assert.notEqual(session.remoteSettings.enableConnectProtocol, true);
    const refused = await new Promise<string>((resolve) => {
      const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': '/', ':authority': 'localhost', 'sec-websocket-version': '13' }, { endStream: false });
      stream.on('response', (headers) => resolve(`status ${headers[':status']}`));
      stream.on('error', () => resolve('stream error'));
      stream.on('close', () => resolve('stream error'));
    });
    assert.equal(refused, 'stream error');
    session.destroy();
  } finally {
    await server.shutdown();
    pem.remove();
  }
});

Deno.test("Deno's node:http2 server advertises extended CONNECT and carries the Node adapter's WebSockets", async () => {
  const pem = makeCert();
  const h2 = createSecureServer({ key: pem.key, cert: pem.cert, allowHTTP1: true, settings: { enableConnectProtocol: true } });
  const wss = new WebSocketServer({ server: h2, perMessageDeflate: true });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
  const { port } = h2.address() as AddressInfo;
  try {
    const ws = await connect(`wss://127.0.0.1:${port}/deno`, { http2: true, tls: { ca: pem.cert } });
    assert.equal(ws.transportKind, 'http2');
    const reply = new Promise((resolve) => ws.once('message', resolve));
    ws.send('over deno');
    assert.equal(await reply, 'over deno');
    ws.close(4004);
    assert.equal((await ws.closed).code, 4004);
  } finally {
    await wss.close({ timeout: 300 });
    await new Promise<void>((resolve) => h2.close(() => resolve()));
    pem.remove();
  }
});
