// Topics inside one server: subscribe/unsubscribe/close bookkeeping, the
// publish fan-out framed once, and the per-subscriber backpressure policy,
// over real sessions joined by in-memory transports.
import { describe, expect, it } from 'vitest';
import { Connection } from '../src/protocol/connection.js';
import { createDeflateExtension } from '../src/protocol/deflate-extension.js';
import { UsageError } from '../src/protocol/errors.js';
import { Opcode } from '../src/protocol/opcode.js';
import { prepareMessage } from '../src/protocol/prepared-message.js';
import { ServerRegistry, type ServerRegistryOptions } from '../src/session/server-registry.js';
import type { SessionMessage } from '../src/session/session-inbox.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { zlibCompressor } from '../src/zlib/index.js';
import { DEFAULT_PARAMS } from './deflate-helpers.js';
import { sessionPair, settle, type Pair, type PairOptions } from './session-helpers.js';
import type { Compressor } from '../src/protocol/compressor.js';
import type { DeflateParameters } from '../src/protocol/permessage-deflate.js';
import { sharedDeflateWindow } from '../src/session/topic-deflate.js';

const KiB = 1024;

interface Subscriber extends Pair {
  got: SessionMessage[];
}

function server(options: Partial<ServerRegistryOptions> = {}, clock = new ManualClock()) {
  const registry = new ServerRegistry({ scheduler: clock, ...options });
  const join = (pair: PairOptions = {}): Subscriber => {
    const p = sessionPair({ clock, serverConnection: { closeTimeout: 60_000 }, clientConnection: { closeTimeout: 60_000 }, ...pair });
    registry.add(p.server);
    const got: SessionMessage[] = [];
    p.client.on('message', (m) => got.push(m));
    return { ...p, got };
  };
  return { registry, topics: registry.topics, join, clock };
}

/** A subscriber whose connection negotiated permessage-deflate (node:zlib, every message compressed). */
function deflatePair(join: (pair?: PairOptions) => Subscriber): Subscriber {
  return join({
    serverConnection: { closeTimeout: 60_000, extension: createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: zlibCompressor(), threshold: 0 }) },
    clientConnection: { closeTimeout: 60_000, extension: createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor: zlibCompressor() }) },
    server: { extensions: 'permessage-deflate' },
  });
}

/** A subscriber with permessage-deflate `params` (node:zlib), announcing them in `extensions` as the handshake would. */
function deflateWith(join: (pair?: PairOptions) => Subscriber, params: DeflateParameters, extensions: string): Subscriber {
  return join({
    serverConnection: { closeTimeout: 60_000, extension: createDeflateExtension({ role: 'server', params, compressor: zlibCompressor(), threshold: 0 }) },
    clientConnection: { closeTimeout: 60_000, extension: createDeflateExtension({ role: 'client', params, compressor: zlibCompressor() }) },
    server: { extensions },
  });
}

/** node:zlib, counting deflate calls: the real engine, observed. */
function countingZlib(): { compressor: Compressor; deflates: () => number } {
  const engine = zlibCompressor();
  let deflates = 0;
  return {
    deflates: () => deflates,
    compressor: {
      name: engine.name,
      createInflater: (options) => engine.createInflater(options),
      createDeflater(options) {
        const deflater = engine.createDeflater(options);
        return {
          deflate: (data) => {
            deflates++;
            return deflater.deflate(data);
          },
          reset: () => deflater.reset(),
          dispose: () => deflater.dispose(),
        };
      },
    },
  };
}

/** node:zlib works on its thread pool: wait (bounded) in real time. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('prepared messages', () => {
  it('write the same frame bytes to every server connection', () => {
    const message = prepareMessage(Opcode.Text, new TextEncoder().encode('hello'));
    expect([...message.frame]).toEqual([0x81, 5, 0x68, 0x65, 0x6c, 0x6c, 0x6f]);
    const a = new Connection({ role: 'server', now: () => 0 });
    const b = new Connection({ role: 'server', now: () => 0 });
    a.sendPrepared(message);
    b.sendPrepared(message);
    expect(a.takeOutput()[0]).toBe(message.frame);
    expect(b.takeOutput()[0]).toBe(message.frame);
  });

  it('are refused by clients, during a fragmented message, compressed without an extension, and after close', () => {
    const message = prepareMessage(Opcode.Binary, new Uint8Array(3));
    const client = new Connection({ role: 'client', now: () => 0 });
    expect(() => client.sendPrepared(message)).toThrow(UsageError);
    const server = new Connection({ role: 'server', now: () => 0 });
    server.sendText('part', false);
    expect(() => server.sendPrepared(message)).toThrow(/fragmented/);
    server.sendText('end', true);
    server.sendPrepared(message);
    expect(() => server.sendPrepared(prepareMessage(Opcode.Binary, new Uint8Array(3), true))).toThrow(/permessage-deflate/);
    server.close(1000);
    expect(() => server.sendPrepared(message)).toThrow(UsageError);
    expect(() => prepareMessage(Opcode.Ping, new Uint8Array(0))).toThrow(UsageError);
  });

  it('queue behind a message that waits on an async deflate, keeping the order', async () => {
    const { topics, join } = server();
    const s = deflatePair(join);
    s.server.subscribe('t');
    const big = 'x'.repeat(64 * KiB);
    s.server.send(big); // node:zlib answers later: the frame waits in the extension queue
    expect(topics.publish('t', 'after')).toBe(1);
    await until(() => s.got.length === 2);
    expect(s.got).toEqual([big, 'after']);
  });
});

describe('TopicRegistry', () => {
  it('delivers a publish to the topic subscribers only, except the excluded one, and counts deliveries', async () => {
    const { topics, join } = server();
    const [a, b, c] = [join(), join(), join()];
    expect(a.server.subscribe('news')).toBe(true);
    expect(a.server.subscribe('news')).toBe(false);
    b.server.subscribe('news');
    c.server.subscribe('sport');
    expect(topics.subscriberCount('news')).toBe(2);
    expect(topics.topics.sort()).toEqual(['news', 'sport']);
    expect(topics.publish('news', 'hello')).toBe(2);
    expect(topics.publish('news', Uint8Array.of(1, 2), { except: a.server })).toBe(1);
    expect(topics.publish('news', 'as bytes', { binary: true })).toBe(2);
    expect(topics.publish('nobody', 'lost')).toBe(0);
    await settle();
    expect(a.got).toEqual(['hello', new TextEncoder().encode('as bytes')]);
    expect(b.got).toEqual(['hello', Uint8Array.of(1, 2), new TextEncoder().encode('as bytes')]);
    expect(c.got).toEqual([]);
    expect([...a.server.topics]).toEqual(['news']);
    expect(a.server.isSubscribed('news')).toBe(true);
    expect(a.server.isSubscribed('sport')).toBe(false);
  });

  it('frees a topic with its last subscriber, on unsubscribe and on close', async () => {
    const { topics, join } = server();
    const [a, b] = [join(), join()];
    a.server.subscribe('x');
    a.server.subscribe('y');
    b.server.subscribe('y');
    expect(a.server.unsubscribe('x')).toBe(true);
    expect(a.server.unsubscribe('x')).toBe(false);
    expect(topics.topics).toEqual(['y']);
    let countInsideClose = -1;
    b.server.on('close', () => (countInsideClose = topics.subscriberCount('y')));
    b.client.close(1000);
    await settle();
    expect(b.server.readyState).toBe(3);
    expect(countInsideClose).toBe(1); // gone before its 'close' listeners run
    expect(b.server.topics.size).toBe(0);
    expect(b.server.subscribe('y')).toBe(false); // closed: nothing could reach it
    a.server.terminate();
    expect(topics.topics).toEqual([]);
    expect(topics.subscriberCount('y')).toBe(0);
  });

  it('passes over closing subscribers and refuses bad calls with typed errors', () => {
    const { topics, join } = server();
    const a = join();
    const b = join();
    a.server.subscribe('t');
    b.server.subscribe('t');
    a.server.close(1000);
    expect(topics.publish('t', 'x')).toBe(1);
    expect(() => a.client.subscribe('t')).toThrow(expect.objectContaining({ code: 'FW_ERR_INVALID_STATE' }));
    expect(() => b.server.subscribe('')).toThrow(expect.objectContaining({ code: 'FW_ERR_INVALID_ARGUMENT' }));
    expect(() => b.server.subscribe('x'.repeat(1025))).toThrow(UsageError);
    expect(() => topics.publish('t', 42 as unknown as string)).toThrow(expect.objectContaining({ code: 'FW_ERR_INVALID_ARGUMENT' }));
    expect(() => new ServerRegistry({ scheduler: new ManualClock(), topicBackpressure: { limit: 0 } })).toThrow(UsageError);
    expect(() => new ServerRegistry({ scheduler: new ManualClock(), topicBackpressure: { policy: 'drop' as 'skip' } })).toThrow(UsageError);
  });

  it('skips a subscriber with its own fragmented message in progress, and reaches it once that ends', async () => {
    const { topics, join } = server();
    const a = join();
    a.server.subscribe('t');
    a.server.send('frag', { fin: false });
    expect(topics.publish('t', 'pub')).toBe(0);
    a.server.send('ment');
    expect(topics.publish('t', 'pub')).toBe(1);
    await settle();
    expect(a.got).toEqual(['fragment', 'pub']);
  });

  for (const policy of ['close', 'skip'] as const) {
    it(`policy '${policy}': a subscriber that does not read never blocks the others and never holds more than the limit plus one message`, async () => {
      const limit = 256 * KiB;
      const { topics, join } = server({ topicBackpressure: { limit, policy } });
      const slow = join({ transport: { capacity: 16 * KiB } });
      const fast = join();
      slow.server.subscribe('t');
      fast.server.subscribe('t');
      slow.server.on('error', () => {});
      slow.clientEnd.pause(); // the slow client stops reading
      const size = 32 * KiB;
      let peak = 0;
      let skippedOrClosed = 0;
      for (let i = 0; i < 40; i++) {
        const delivered = topics.publish('t', new Uint8Array(size).fill(i));
        if (delivered < 2) skippedOrClosed++;
        peak = Math.max(peak, slow.server.bufferedAmount);
        await settle(1);
      }
      expect(skippedOrClosed).toBeGreaterThan(0);
      expect(peak).toBeLessThan(limit + size + 64);
      await settle();
      expect(fast.got.length).toBe(40);
      if (policy === 'close') {
        expect(slow.server.readyState).toBe(2); // closing with 1008, waiting for the peer's answer
        slow.clientEnd.resume();
        expect((await slow.client.closed).code).toBe(1008);
        await slow.server.closed;
        expect(topics.subscriberCount('t')).toBe(1);
      } else {
        expect(slow.server.readyState).toBe(1);
        expect(topics.subscriberCount('t')).toBe(2);
        slow.clientEnd.resume();
        await settle();
        // It got a prefix of the messages and then whatever came after it caught up; never a torn one.
        expect(slow.got.length).toBe(40 - skippedOrClosed);
        for (const m of slow.got) expect((m as Uint8Array).length).toBe(size);
      }
    });
  }

  it("compress: true compresses per deflate subscriber and sends the shared frame to the others", async () => {
    const { topics, join } = server();
    const deflated = deflatePair(join);
    const plain = join();
    deflated.server.subscribe('t');
    plain.server.subscribe('t');
    const text = 'compress me '.repeat(200);
    expect(topics.publish('t', text, { compress: true })).toBe(2);
    expect(topics.publish('t', 'second', { compress: true })).toBe(2);
    await until(() => deflated.got.length === 2 && plain.got.length === 2);
    expect(deflated.got).toEqual([text, 'second']);
    expect(plain.got).toEqual([text, 'second']);
    // The deflate subscriber's wire carried far fewer bytes than the text.
    expect(deflated.serverEnd.stats.bytesWritten).toBeLessThan(text.length / 4);
  });
});

describe('compress once per publish', () => {
  it('finds the window of subscribers that keep no server context', () => {
    expect(sharedDeflateWindow('')).toBeUndefined();
    expect(sharedDeflateWindow('permessage-deflate')).toBeUndefined();
    expect(sharedDeflateWindow('permessage-deflate; client_no_context_takeover')).toBeUndefined();
    expect(sharedDeflateWindow('permessage-deflate; server_no_context_takeover')).toBe(15);
    expect(sharedDeflateWindow('permessage-deflate; server_max_window_bits=10; server_no_context_takeover')).toBe(10);
    expect(sharedDeflateWindow('x-other, permessage-deflate; server_no_context_takeover; server_max_window_bits=9')).toBe(9);
    expect(sharedDeflateWindow('permessage-deflate; server_no_context_takeover; server_max_window_bits=16')).toBeUndefined();
  });

  it('deflates once per window for no-context subscribers, per subscriber for context takeover, and keeps every order', async () => {
    const zlib = countingZlib();
    const { topics, join } = server({ topicDeflate: { compressor: zlib.compressor, threshold: 64 } });
    const noContext = { ...DEFAULT_PARAMS, serverNoContextTakeover: true };
    const shared = [
      deflateWith(join, noContext, 'permessage-deflate; server_no_context_takeover'),
      deflateWith(join, noContext, 'permessage-deflate; server_no_context_takeover'),
    ];
    const small = deflateWith(join, { ...noContext, serverMaxWindowBits: 10 }, 'permessage-deflate; server_no_context_takeover; server_max_window_bits=10');
    const takeover = deflatePair(join);
    const plain = join();
    const everyone = [...shared, small, takeover, plain];
    for (const s of everyone) s.server.subscribe('t');
    const big = 'shared deflate '.repeat(300);
    const before = zlib.deflates();
    expect(topics.publish('t', big, { compress: true })).toBe(5);
    // Two windows (15 and 10): two deflates however many subscribers share them.
    expect(zlib.deflates() - before).toBe(2);
    expect(topics.publish('t', 'short', { compress: true })).toBe(5); // below the threshold: the plain frame
    expect(topics.publish('t', big)).toBe(5); // compress not asked: the plain frame
    small.server.send('own send'); // queued behind the deflate still running
    await until(() => everyone.every((s) => s.got.length >= 3) && small.got.length === 4);
    for (const s of everyone) expect(s.got.slice(0, 3)).toEqual([big, 'short', big]);
    expect(small.got[3]).toBe('own send');
    // Both share-alike subscribers got the same bytes: one compressed copy and one plain copy of the text.
    expect(shared[0]!.serverEnd.stats.bytesWritten).toBe(shared[1]!.serverEnd.stats.bytesWritten);
    expect(shared[0]!.serverEnd.stats.bytesWritten).toBeLessThan(big.length * 1.2);
  });
});

describe('compress once: a failing engine', () => {
  it('fails the subscribers that were to get the bytes with 1011 and leaves the others alone', async () => {
    const zlib = zlibCompressor();
    const broken: Compressor = {
      name: 'broken',
      createInflater: (options) => zlib.createInflater(options),
      createDeflater: () => ({
        deflate: () => {
          throw new Error('engine bug');
        },
        reset: () => {},
        dispose: () => {},
      }),
    };
    const { topics, join } = server({ topicDeflate: { compressor: broken, threshold: 0 } });
    const shared = deflateWith(join, { ...DEFAULT_PARAMS, serverNoContextTakeover: true }, 'permessage-deflate; server_no_context_takeover');
    const plain = join();
    shared.server.on('error', () => {});
    shared.server.subscribe('t');
    plain.server.subscribe('t');
    expect(topics.publish('t', 'x'.repeat(100), { compress: true })).toBe(2);
    await until(() => plain.got.length === 1 && shared.server.readyState !== 1);
    expect(plain.got).toEqual(['x'.repeat(100)]);
    shared.clientEnd.resume();
    expect((await shared.client.closed).code).toBe(1011);
  });
});
