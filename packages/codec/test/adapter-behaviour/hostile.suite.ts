// Hostile and broken peers against every adapter's server (issue 15): resets
// at every stage, a silent (half-open) peer, a ping flood that never reads,
// and the registry's view of a session inside its own 'close' listener.
import assert from 'node:assert/strict';
import { runRawPeer, startRawPeer, until, within, type AdapterFixture, type SessionLike } from './fixture.js';

/** Connect, send one text message, expect it back, close cleanly. */
async function echoOnce(fixture: AdapterFixture, port: number): Promise<void> {
  const ws = await fixture.connect(`ws://127.0.0.1:${port}/`);
  const reply = new Promise<unknown>((resolve) => ws.on('message', (data) => resolve(data)));
  ws.send('still here');
  assert.equal(await within(reply, 5000, 'echo after the faults'), 'still here');
  ws.close(1000);
  await within(ws.closed, 5000, 'clean close');
}

/** Echo every message with its type; keep each session's close info. */
function echoServer(server: { on(event: 'connection', listener: (session: SessionLike) => void): unknown }): Promise<{ code: number }>[] {
  const closes: Promise<{ code: number }>[] = [];
  server.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (ws.readyState === 1) ws.send(data as string | Uint8Array, { binary: isBinary });
    });
    closes.push(new Promise((resolve) => ws.on('close', resolve)));
  });
  return closes;
}

export function hostileSuite(fixture: AdapterFixture): void {
  fixture.test('resets before, during and after the handshake never stop the server', async () => {
    const { server, port } = await fixture.listen();
    echoServer(server);
    try {
      await runRawPeer(fixture, ['rst', String(port), '300']);
      await runRawPeer(fixture, ['rst-handshake', String(port), '50']);
      await runRawPeer(fixture, ['rst-frame', String(port), '50']);
      await echoOnce(fixture, port);
      await until(() => server.connectionCount === 0, 5000, 'every reset connection released');
    } finally {
      await server.close({ timeout: 1000 });
    }
  });

  fixture.test('heartbeat drops a silent (half-open) peer with 1006 and keeps a live one', async () => {
    const { server, port } = await fixture.listen({ heartbeat: { interval: 100, timeout: 200 } });
    const closes = echoServer(server);
    try {
      const live = await fixture.connect(`ws://127.0.0.1:${port}/`); // answers pings by itself
      const silent = startRawPeer(fixture, ['silent', String(port)]);
      const out = await within(silent.output, 10_000, 'the silent peer dropped');
      const elapsed = Number(/closed (\d+)/.exec(out)?.[1]);
      // Pinged after 1-2 intervals, dead after 2 more unanswered sweeps: 300-400 ms, with slack.
      assert.ok(elapsed >= 250 && elapsed < 3000, `silent peer dropped after ${elapsed} ms`);
      const codes = await Promise.all(closes.slice(1));
      assert.deepEqual(codes.map((c) => c.code), [1006]);
      assert.equal(live.readyState, 1, 'the peer that answers pings stays open');
      assert.equal(server.connectionCount, 1);
      live.close(1000);
      await within(live.closed, 5000, 'live peer closes');
    } finally {
      await server.close({ timeout: 1000 });
    }
  });

  fixture.test('a peer that floods pings and never reads is closed with 1008 in bounded memory', async () => {
    const { server, port } = await fixture.listen({ heartbeat: false });
    const closes = echoServer(server);
    const flood = startRawPeer(fixture, ['ping-flood', String(port), '2000000']);
    try {
      await until(() => closes.length === 1, 10_000, 'the flooding peer connected');
      const info = await within(closes[0]!, 30_000, 'the flooding peer closed');
      assert.equal(info.code, 1008);
      await echoOnce(fixture, port);
    } finally {
      flood.stop();
      await server.close({ timeout: 1000 });
    }
  });

  fixture.test('a closed session has left server.clients before its close listeners run', async () => {
    const { server, port } = await fixture.listen();
    const seen: Array<{ count: number; listed: boolean }> = [];
    const done = new Promise<void>((resolve) => {
      server.on('connection', (ws) => {
        ws.on('error', () => {});
        ws.on('close', () => {
          seen.push({ count: server.connectionCount, listed: server.clients.has(ws) });
          if (seen.length === 2) resolve();
        });
      });
    });
    try {
      const a = await fixture.connect(`ws://127.0.0.1:${port}/`);
      const b = await fixture.connect(`ws://127.0.0.1:${port}/`);
      await until(() => server.connectionCount === 2, 5000, 'two clients registered');
      a.close(1000);
      await within(a.closed, 5000, 'a closes');
      b.close(1000);
      await within(done, 5000, 'both close listeners ran');
      assert.deepEqual(seen, [
        { count: 1, listed: false },
        { count: 0, listed: false },
      ]);
    } finally {
      await server.close({ timeout: 1000 });
    }
  });
}
