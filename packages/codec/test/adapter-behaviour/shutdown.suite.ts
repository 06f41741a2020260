// Ends of connections on every adapter: graceful shutdown with 1001 to every
// client, a client that never answers it, and the abrupt ends (FIN without a
// close frame, a dropped socket, a reset, terminate()) reported as 1006.
import assert from 'node:assert/strict';
import { nextConnection, runRawPeer, scenario, until, within, type AdapterFixture, type SessionLike } from './fixture.js';
import { afterHead, closeCodeOf, parseServerFrames, rawConnect, upgradeRequest } from './raw-tcp.js';

export function shutdownSuite(fixture: AdapterFixture): void {
  scenario(fixture, 'graceful shutdown: 1001 with the reason to every client, close() resolves without the timeout, then nothing is accepted', async (t) => {
    const { server, url } = await t.echoServer();
    const clients = await Promise.all([t.connect(url), t.connect(url), t.connect(url)]);
    await until(() => server.connectionCount === 3, 5000, 'three connections');
    assert.deepEqual([...server.clients].map((client) => (client as SessionLike).readyState), [1, 1, 1], 'server.clients lists the open sessions');
    let closeEvent = false;
    server.on('close', () => (closeEvent = true));
    const started = Date.now();
    await within(server.close({ timeout: 3000, reason: 'maintenance' }), 5000, 'server.close()');
    assert.ok(Date.now() - started < 2000, 'the clients answered; close() did not wait for its timeout');
    const infos = await Promise.all(clients.map((client) => within(client.closed, 1000, 'a client closed')));
    assert.deepEqual(infos, clients.map(() => ({ code: 1001, reason: 'maintenance', wasClean: true })));
    assert.equal(closeEvent, true, "the server emitted 'close'");
    assert.equal(server.connectionCount, 0);
    assert.equal((await t.connectError(url)).code, 'FW_ERR_CONNECTION_FAILED', 'no longer listening');
  });

  scenario(fixture, 'graceful shutdown: a client that never answers gets the 1001 frame and is dropped after the timeout', async (t) => {
    const { server, port } = await t.echoServer();
    const connected = nextConnection(server);
    const peer = await rawConnect(port);
    t.defer(() => peer.destroy());
    peer.write(upgradeRequest());
    await peer.until((text) => text.includes('\r\n\r\n'), 5000, 'the 101');
    const session = await connected;
    const started = Date.now();
    await within(server.close({ timeout: 300 }), 5000, 'close() with a mute client');
    assert.ok(Date.now() - started >= 250, 'close() waited for the timeout');
    assert.equal((await within(session.closed, 1000, 'the mute session closed')).code, 1006);
    assert.equal(server.connectionCount, 0);
    const frames = parseServerFrames(afterHead(peer)).frames;
    assert.deepEqual(frames.map((frame) => [frame.opcode, closeCodeOf(frame)]), [[0x8, 1001]]);
  });

  scenario(fixture, 'a client that drops its socket, or sends a FIN without a close frame, is 1006 on the server and its socket is released', async (t) => {
    const { server, port } = await t.echoServer();
    for (const end of ['destroy', 'end'] as const) {
      const connected = nextConnection(server);
      const peer = await rawConnect(port);
      t.defer(() => peer.destroy());
      peer.write(upgradeRequest());
      await peer.until((text) => text.includes('\r\n\r\n'), 5000, 'the 101');
      const session = await connected;
      peer[end]();
      assert.deepEqual(await within(session.closed, 5000, `closed after ${end}`), { code: 1006, reason: '', wasClean: false });
      await within(peer.closed, 5000, `the server released the socket after ${end}`);
    }
    await until(() => server.connectionCount === 0, 2000, 'no connection left');
  });

  scenario(fixture, 'a reset in the middle of a frame is 1006 on the server, and the server serves on', async (t) => {
    const { server, port, url, sessions } = await t.echoServer();
    await runRawPeer(fixture, ['rst-frame', String(port), '1']);
    await until(() => sessions.length === 1, 5000, 'the resetting peer connected');
    assert.deepEqual(await within(sessions[0]!.closed, 5000, 'closed after the reset'), { code: 1006, reason: '', wasClean: false });
    const ws = await t.connect(url);
    assert.equal(ws.readyState, 1);
    await until(() => server.connectionCount === 1, 2000, 'only the new client left');
  });

  scenario(fixture, 'terminate() on the server is 1006 for the client', async (t) => {
    const { server, url } = await t.echoServer();
    const connected = nextConnection(server);
    const client = await t.connect(url);
    (await connected).terminate();
    assert.deepEqual(await within(client.closed, 5000, 'the client closed'), { code: 1006, reason: '', wasClean: false });
  });
}
