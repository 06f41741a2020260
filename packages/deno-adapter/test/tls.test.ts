// wss:// on Deno.listenTls / Deno.connectTls with a certificate made by openssl at test time.
import assert from 'node:assert/strict';
import { ConnectError, connect } from '../src/index.ts';
import { closeSession, echo, once, selfSignedCert, startServer } from './helpers.ts';

Deno.test('wss:// echo with a trusted self-signed certificate; an untrusted one fails with FW_ERR_TLS', async () => {
  const tls = await selfSignedCert();
  const { server, url } = await startServer({ tls: { cert: tls.cert, key: tls.key }, perMessageDeflate: true });
  echo(server);
  assert.match(url, /^wss:/);
  const ws = await connect(url, { tls: { caCerts: [tls.cert] } });
  assert.match(ws.extensions, /permessage-deflate/);
  ws.send('over tls');
  const [data] = await once<[string]>(ws, 'message');
  assert.equal(data, 'over tls');
  await closeSession(ws);
  await assert.rejects(connect(url), (error: unknown) => {
    assert.ok(error instanceof ConnectError);
    assert.equal(error.code, 'FW_ERR_TLS');
    return true;
  });
  await server.close();
  await Deno.remove(tls.dir, { recursive: true });
});
