// connect() through a real HTTP proxy (squid) with CONNECT: ws:// and wss://
// (TLS inside the tunnel), basic auth from the proxy URL, a refusal (407)
// and an unreachable proxy, each a typed ConnectError.
import assert from 'node:assert/strict';
import { nextMessage, scenario, until, type AdapterFixture } from './fixture.js';
import { closedPort } from './raw-tcp.js';
import { startSquid, squidPresent, SQUID, type Squid } from './squid.js';
import { makeTestCert } from './tls.suite.js';
import { peerMissing } from '../peers.js';

export function proxySuite(fixture: AdapterFixture): void {
  if (!squidPresent()) {
    peerMissing((name, fn) => fixture.test(name, async () => fn()), `squid (${SQUID}, Debian package squid) for the proxy suite`);
    return;
  }
  const proxy = async (t: { defer(fn: () => unknown): void }): Promise<Squid> => {
    const started = await startSquid(fixture);
    t.defer(() => started.stop());
    return started;
  };

  scenario(fixture, 'proxy: ws:// and wss:// through squid with CONNECT and basic auth; the proxy logs both tunnels', async (t) => {
    const through = await proxy(t);
    const plain = await t.echoServer();
    const ws = await t.connect(`${plain.url}/via-proxy`, { proxy: through.url() });
    ws.send('through the tunnel');
    assert.equal((await nextMessage(ws)).data, 'through the tunnel');
    ws.close();

    const cert = await makeTestCert(fixture);
    const secure = await t.echoServer({ tls: cert, perMessageDeflate: true });
    const wss = await t.connect(`${secure.url}/tls-via-proxy`, { proxy: through.url(), ca: cert.cert, perMessageDeflate: true });
    assert.match(wss.extensions, /permessage-deflate/);
    wss.send(new Uint8Array(100_000).fill(7));
    const echoed = (await nextMessage(wss)).data as Uint8Array;
    assert.equal(echoed.length, 100_000);
    wss.close();
    await Promise.all([ws.closed, wss.closed]);
    // squid logs a tunnel once it has closed.
    const expected = [plain.url, secure.url].map((url) => `CONNECT 127.0.0.1:${new URL(url).port}`);
    await until(() => expected.every((line) => through.connects().includes(line)), 5000, `squid to log ${expected.join(' and ')}`);
  });

  scenario(fixture, 'proxy: no credentials is FW_ERR_PROXY naming the 407; an unreachable proxy is FW_ERR_CONNECTION_FAILED; a bad proxy URL is FW_ERR_INVALID_URL', async (t) => {
    const through = await proxy(t);
    const { url } = await t.echoServer();
    const refused = await t.connectError(url, { proxy: through.url(false) });
    assert.equal(refused.code, 'FW_ERR_PROXY');
    assert.match(refused.message, /407/);
    const nowhere = await t.connectError(url, { proxy: `http://127.0.0.1:${await closedPort()}` });
    assert.equal(nowhere.code, 'FW_ERR_CONNECTION_FAILED');
    assert.equal((await t.connectError(url, { proxy: 'socks5://127.0.0.1:1080' })).code, 'FW_ERR_INVALID_URL');
  });

}
