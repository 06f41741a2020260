// Topics on every adapter: subscribe in the connection handler, publish from
// outside any handler, `except`, unsubscribe and close freeing the topic,
// two servers sharing topics through one MemoryBroker,
// compressed and plain subscribers side by side, and a subscriber that does
// not read being closed with 1008 (or skipped) without holding up the others.
import assert from 'node:assert/strict';
import { nextConnection, scenario, until, within, type AdapterFixture, type ServerLike, type SessionLike } from './fixture.js';
import { afterHead, closeCodeOf, parseServerFrames, rawConnect, upgradeRequest } from './raw-tcp.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Collects what a client receives. */
function inbox(client: SessionLike): unknown[] {
  const got: unknown[] = [];
  client.on('message', (data) => void got.push(typeof data === 'string' ? data : new Uint8Array(data as Uint8Array)));
  return got;
}

/** Every new connection subscribes to the topic named by its path (`/topics/NAME`). */
function subscribeByPath(server: ServerLike): SessionLike[] {
  const sessions: SessionLike[] = [];
  server.on('connection', (ws, request) => {
    sessions.push(ws);
    ws.on('error', () => {});
    ws.subscribe(request.path.slice('/topics/'.length));
  });
  return sessions;
}

export function topicsSuite(fixture: AdapterFixture): void {
  scenario(fixture, 'topics: a publish from a timer reaches every subscriber of the topic once, in order, and nobody else', async (t) => {
    const { server, url } = await t.listen();
    const sessions = subscribeByPath(server);
    const news = [await t.connect(`${url}/topics/news`), await t.connect(`${url}/topics/news`)];
    const sport = await t.connect(`${url}/topics/sport`);
    const got = news.map(inbox);
    const gotSport = inbox(sport);
    await until(() => server.subscriberCount('news') === 2 && server.subscriberCount('sport') === 1, 5000, 'three subscribers');
    assert.deepEqual([...server.topics].sort(), ['news', 'sport']);
    // From outside any handler: a timer.
    const counts = await new Promise<number[]>((resolve) =>
      setTimeout(() => resolve([server.publish('news', 'one'), server.publish('news', Uint8Array.of(1, 2, 3)), server.publish('news', 'three', { except: sessions[0]! })]), 0),
    );
    assert.deepEqual(counts, [2, 2, 1]);
    assert.equal(server.publish('nobody', 'x'), 0);
    await until(() => got[0]!.length === 2 && got[1]!.length === 3, 5000, 'the publishes');
    assert.deepEqual(got[0], ['one', Uint8Array.of(1, 2, 3)]);
    assert.deepEqual(got[1], ['one', Uint8Array.of(1, 2, 3), 'three']);
    assert.deepEqual(gotSport, []);
    assert.deepEqual([...sessions[0]!.topics], ['news']);
    assert.ok(sessions[0]!.isSubscribed('news'));
  });

  scenario(fixture, 'topics: unsubscribe and a closing client leave the topic; the last one frees it', async (t) => {
    const { server, url } = await t.listen();
    const sessions = subscribeByPath(server);
    const a = await t.connect(`${url}/topics/room`);
    const b = await t.connect(`${url}/topics/room`);
    const gotA = inbox(a);
    await until(() => server.subscriberCount('room') === 2, 5000, 'two subscribers');
    assert.equal(sessions[1]!.unsubscribe('room'), true);
    assert.equal(sessions[1]!.unsubscribe('room'), false);
    assert.equal(server.publish('room', 'only a'), 1);
    await until(() => gotA.length === 1, 5000, 'the message');
    a.close(1000);
    await within(sessions[0]!.closed, 5000, 'the server side of a to close');
    assert.equal(server.subscriberCount('room'), 0);
    assert.deepEqual([...server.topics], []);
    assert.equal(sessions[0]!.topics.size, 0);
    assert.equal(server.publish('room', 'nobody'), 0);
    b.close(1000);
    // A client session has no server and therefore no topics.
    assert.throws(() => a.subscribe('room'), fixture.api.UsageError);
  });

  scenario(fixture, 'topics: two servers on one MemoryBroker: a publish on either reaches the subscribers of both, once each', async (t) => {
    const broker = new fixture.api.MemoryBroker();
    const a = await t.listen({ broker });
    const b = await t.listen({ broker });
    subscribeByPath(a.server);
    const onB = subscribeByPath(b.server);
    const clientA = await t.connect(`${a.url}/topics/chat`);
    const clientB = await t.connect(`${b.url}/topics/chat`);
    const got = [inbox(clientA), inbox(clientB)];
    await until(() => a.server.subscriberCount('chat') === 1 && b.server.subscriberCount('chat') === 1, 5000, 'one subscriber on each');
    assert.equal(b.server.publish('chat', 'from b'), 1);
    assert.equal(a.server.publish('chat', Uint8Array.of(1, 2)), 1);
    assert.equal(b.server.publish('chat', 'not to b', { except: onB[0]! }), 0);
    await until(() => got[0]!.length === 3 && got[1]!.length === 2, 5000, 'the messages on both servers');
    assert.deepEqual(got[0], ['from b', Uint8Array.of(1, 2), 'not to b']);
    assert.deepEqual(got[1], ['from b', Uint8Array.of(1, 2)]);
  });

  for (const noContext of [false, true]) {
    scenario(fixture, `topics: with permessage-deflate${noContext ? ' without server context takeover (compressed once per publish)' : ''}, compressed and plain subscribers get the same messages`, async (t) => {
      const { server, url } = await t.listen({ perMessageDeflate: noContext ? { serverNoContextTakeover: true } : true });
      subscribeByPath(server);
      const deflated = await t.connect(`${url}/topics/t`, { perMessageDeflate: true });
      const plain = await t.connect(`${url}/topics/t`, { perMessageDeflate: false });
      assert.match(deflated.extensions, /permessage-deflate/);
      assert.equal(plain.extensions, '');
      const got = [inbox(deflated), inbox(plain)];
      await until(() => server.subscriberCount('t') === 2, 5000, 'two subscribers');
      const big = 'framewire topics '.repeat(500);
      assert.equal(server.publish('t', big, { compress: true }), 2);
      assert.equal(server.publish('t', big), 2);
      assert.equal(server.publish('t', 'small', { compress: true }), 2);
      await until(() => got.every((g) => g.length === 3), 5000, 'three messages each');
      for (const g of got) assert.deepEqual(g, [big, big, 'small']);
      if (noContext) assert.match(deflated.extensions, /server_no_context_takeover/);
    });
  }

  for (const policy of ['close', 'skip'] as const) {
    scenario(fixture, `topics: policy '${policy}': a subscriber that never reads is ${policy === 'close' ? 'closed with 1008' : 'skipped'}, the others get every message, its buffer stays bounded`, async (t) => {
      const limit = 512 * KiB;
      const size = 64 * KiB;
      const { server, port, url } = await t.listen({ heartbeat: false, closeTimeout: 60_000, topicBackpressure: { limit, policy }, maxBufferedAmount: 64 * MiB });
      const connected = nextConnection(server);
      const slowPeer = await rawConnect(port);
      t.defer(() => slowPeer.destroy());
      slowPeer.write(upgradeRequest('/'));
      await slowPeer.until((text) => text.includes('\r\n\r\n'), 5000, 'the 101');
      slowPeer.pause();
      const slow = await connected;
      slow.on('error', () => {});
      slow.subscribe('t');
      const fastConnected = nextConnection(server);
      const fast = await t.connect(url, { perMessageDeflate: false });
      (await fastConnected).subscribe('t');
      const got = inbox(fast);
      let published = 0;
      let peak = 0;
      let passedOver = 0;
      // Bounded: 400 × 64 KiB; the kernel's buffers plus the limit fill long before.
      for (let i = 0; i < 400 && passedOver === 0; i++) {
        const delivered = server.publish('t', new Uint8Array(size).fill(i & 0xff));
        published++;
        if (delivered < 2) passedOver++;
        peak = Math.max(peak, slow.bufferedAmount);
        await until(() => got.length === published, 10_000, `message ${i} at the fast client`);
      }
      assert.ok(passedOver > 0, 'the slow subscriber was passed over');
      assert.ok(peak < limit + size + 64, `the slow subscriber buffered ${peak} bytes`);
      if (policy === 'close') {
        assert.equal(slow.readyState, 2, 'closing with 1008');
        slowPeer.resume();
        const closeFrame = (): boolean => parseServerFrames(afterHead(slowPeer)).frames.some((frame) => frame.opcode === 0x8);
        await slowPeer.until(closeFrame, 20_000, 'the close frame');
        assert.equal(closeCodeOf(parseServerFrames(afterHead(slowPeer)).frames.at(-1)!), 1008);
      } else {
        assert.equal(slow.readyState, 1, 'still open');
        assert.equal(server.subscriberCount('t'), 2);
      }
      // The fast one keeps getting everything either way.
      assert.equal(server.publish('t', 'after') >= 1, true);
      await until(() => got.length === published + 1, 5000, 'the last message');
    });
  }
}
