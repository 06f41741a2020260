// wss:// on every adapter with a self-signed certificate made by the system's
// openssl at test time: our client trusting it, permessage-deflate over TLS,
// an untrusted certificate (FW_ERR_TLS), the heartbeat and graceful shutdown
// over TLS, and a peer that speaks plain HTTP to the TLS port.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { nextConnection, scenario, until, within, type AdapterFixture, type Scope } from './fixture.js';
import { rawConnect } from './raw-tcp.js';

/** A P-256 self-signed certificate for 127.0.0.1 and localhost, valid one day, as PEM text. */
export async function makeTestCert(fixture: AdapterFixture): Promise<{ cert: string; key: string }> {
  // /tmp, not os.tmpdir(): Deno would need permission to read TMPDIR.
  const dir = mkdtempSync('/tmp/fw-behaviour-tls-');
  try {
    await fixture.spawn('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      // rustls (Deno) refuses a CA certificate used as the server's own (CaUsedAsEndEntity).
      '-addext', 'basicConstraints=critical,CA:FALSE',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]).output;
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function tlsSuite(fixture: AdapterFixture): void {
  let made: { cert: string; key: string } | undefined;
  /** A wss:// echo server with the suite's certificate, and that certificate as the CA to trust. */
  const wssEcho = async (t: Scope, options: { perMessageDeflate?: boolean; heartbeat?: { interval: number; timeout: number } } = {}) => {
    made ??= await makeTestCert(fixture);
    return { ...(await t.echoServer({ tls: made, ...options })), ca: made.cert };
  };

  scenario(fixture, 'wss:// echo with a trusted self-signed certificate and permessage-deflate; close codes both ways', async (t) => {
    const { server, url, ca } = await wssEcho(t, { perMessageDeflate: true });
    assert.match(url, /^wss:/);
    const seen = nextConnection(server);
    const ws = await t.connect(`${url}/tls`, { ca, perMessageDeflate: true });
    assert.match(ws.extensions, /permessage-deflate/);
    const message = new Uint8Array(2_000_000).map((_, i) => (i >> 10) & 0xff);
    ws.send(message);
    const echoed = await within(new Promise<unknown>((resolve) => ws.once('message', resolve)), 10_000, 'the 2 MB echo');
    assert.ok(echoed instanceof Uint8Array && Buffer.from(echoed).equals(message), 'the 2 MB message came back unchanged');
    ws.close(4000, 'tls bye');
    assert.equal((await within(ws.closed, 5000, 'client closed')).code, 4000);
    assert.deepEqual(await within((await seen).closed, 5000, 'server side closed'), { code: 4000, reason: 'tls bye', wasClean: true });
  });

  scenario(fixture, 'a client that does not trust the certificate fails with FW_ERR_TLS; the server serves on', async (t) => {
    const { url, ca } = await wssEcho(t);
    const error = await t.connectError(url);
    assert.equal(error.code, 'FW_ERR_TLS');
    const trusted = await t.connect(url, { ca });
    assert.equal(trusted.readyState, 1);
  });

  scenario(fixture, 'over TLS the heartbeat keeps a live peer, and shutdown sends 1001 to every client', async (t) => {
    const { server, url, ca } = await wssEcho(t, { heartbeat: { interval: 100, timeout: 200 } });
    const clients = [await t.connect(url, { ca }), await t.connect(url, { ca })];
    await until(() => server.connectionCount === 2, 5000, 'two connections');
    const pinged = new Promise<void>((resolve) => clients[0]!.on('ping', () => resolve()));
    await within(pinged, 5000, 'a heartbeat ping over TLS');
    assert.deepEqual(clients.map((c) => c.readyState), [1, 1], 'peers that answer pings stay');
    await within(server.close({ timeout: 2000 }), 5000, 'server.close()');
    for (const client of clients) assert.equal((await within(client.closed, 1000, 'client closed')).code, 1001);
  });

  scenario(fixture, 'a peer that speaks plain HTTP to the TLS port is dropped; TLS clients still connect', async (t) => {
    const { server, port, url, ca } = await wssEcho(t);
    const plain = await rawConnect(port);
    t.defer(() => plain.destroy());
    plain.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await within(plain.closed, 5000, 'the plain-HTTP peer dropped');
    assert.ok(!plain.text().startsWith('HTTP/1.1 101'));
    const ws = await t.connect(url, { ca });
    assert.equal(ws.readyState, 1);
    assert.equal(server.connectionCount, 1);
  });
}
