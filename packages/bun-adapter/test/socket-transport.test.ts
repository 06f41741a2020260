// The Bun transport under the codec: who owns received buffers, and how
// partial writes are queued, ordered, drained and flushed before the FIN.
import { describe, expect, it } from 'bun:test';
import type { Socket } from 'bun';
import type { TransportSink } from '@framewire/codec/session';
import { BunSocketTransport } from '../src/index.js';
import { socketHandlers, type SocketData } from '../src/socket-transport.js';
import { onCleanup, rawConnect, useCleanup, within } from './helpers.js';

useCleanup();

describe("Bun's data buffers", () => {
  // The codec's decoder takes ownership of each chunk and unmasks in place, so
  // the adapter may skip a copy only if Bun never reuses a buffer it handed out.
  for (const tls of [false, true]) {
    it(`are fresh per callback and never rewritten afterwards (${tls ? 'TLS' : 'TCP'})`, async () => {
      const kept: Uint8Array[] = [];
      const snapshots: Uint8Array[] = [];
      let total = 0;
      const expected = 6 * 200_000;
      let done!: () => void;
      const all = new Promise<void>((resolve) => (done = resolve));
      const cert = tls ? await import('./helpers.js').then((h) => h.makeTestCert()) : undefined;
      if (cert !== undefined) onCleanup(() => cert.remove());
      const listener = Bun.listen({
        hostname: '127.0.0.1',
        port: 0,
        ...(cert !== undefined ? { tls: { cert: cert.cert, key: cert.key } } : {}),
        socket: {
          binaryType: 'uint8array',
          data: (_socket, chunk: Uint8Array) => {
            kept.push(chunk);
            snapshots.push(chunk.slice());
            // Scribble over it, as the decoder's in-place unmasking does.
            chunk.fill(0xee);
            total += chunk.length;
            if (total >= expected) done();
          },
        },
      });
      onCleanup(() => listener.stop(true));
      const peer = await rawConnect(listener.port, { tls });
      for (let i = 0; i < 6; i++) {
        peer.write(new Uint8Array(200_000).fill(0x41 + i));
        await Bun.sleep(10);
      }
      await within(all, 10_000, 'all bytes');
      // Every chunk has its own ArrayBuffer...
      expect(new Set(kept.map((k) => k.buffer)).size).toBe(kept.length);
      // ...and what arrived is exactly what was sent: no later callback wrote
      // into an earlier buffer, and our scribbling did not leak into later ones.
      const joined = Buffer.concat(snapshots);
      const sent = Buffer.concat(Array.from({ length: 6 }, (_, i) => Buffer.alloc(200_000, 0x41 + i)));
      expect(joined.equals(sent)).toBe(true);
      for (const k of kept) expect(k.every((b) => b === 0xee)).toBe(true);
    });
  }
});

/** A server socket wrapped in our transport, with a recording sink. */
async function transportPair(): Promise<{
  transport: BunSocketTransport;
  peer: Awaited<ReturnType<typeof rawConnect>>;
  events: string[];
  received: Uint8Array[];
}> {
  const events: string[] = [];
  const received: Uint8Array[] = [];
  const sink: TransportSink = {
    receive: (chunk) => received.push(chunk),
    receiveEof: (error) => events.push(error === undefined ? 'eof' : `eof:${String(error)}`),
    drain: () => events.push('drain'),
  };
  let resolveTransport!: (t: BunSocketTransport) => void;
  const opened = new Promise<BunSocketTransport>((resolve) => (resolveTransport = resolve));
  const listener = Bun.listen<SocketData>({
    hostname: '127.0.0.1',
    port: 0,
    allowHalfOpen: true,
    socket: {
      ...socketHandlers,
      open: (socket: Socket<SocketData>) => {
        const transport = new BunSocketTransport(socket);
        transport.attach(sink);
        resolveTransport(transport);
      },
    },
  });
  onCleanup(() => listener.stop(true));
  const peer = await rawConnect(listener.port);
  const transport = await within(opened, 2000, 'server socket');
  onCleanup(() => transport.destroy());
  return { transport, peer, events, received };
}

/** `count` chunks of assorted sizes (tiny to large) filled with a running byte sequence. */
function sequenceChunks(count: number): { chunks: Uint8Array[]; expected: Uint8Array } {
  const sizes = [2, 125, 14, 65_536, 3, 1_000_000, 10, 40_000, 1, 300_000];
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (let i = 0; i < count; i++) {
    const chunk = new Uint8Array(sizes[i % sizes.length]!);
    for (let j = 0; j < chunk.length; j++) chunk[j] = (n++ * 7) & 0xff;
    chunks.push(chunk);
  }
  return { chunks, expected: Buffer.concat(chunks) };
}

describe('BunSocketTransport', () => {
  it('keeps what Bun did not write, in order, reports backpressure and drains once', async () => {
    const { transport, peer, events } = await transportPair();
    peer.pause(); // a slow reader: the kernel buffers fill up
    const { chunks, expected } = sequenceChunks(60); // ~8.5 MB, more than loopback buffers hold
    let refused = 0;
    // Several writes, as a session makes them, each a batch of frames.
    for (let i = 0; i < chunks.length; i += 6) {
      if (!transport.write(chunks.slice(i, i + 6))) refused++;
    }
    expect(refused).toBeGreaterThan(0);
    expect(transport.bufferedAmount).toBeGreaterThan(0);
    expect(events).not.toContain('drain');
    peer.resume();
    await peer.until((t) => t.length >= expected.length, 10_000);
    expect(Buffer.from(peer.received()).equals(Buffer.from(expected))).toBe(true);
    await within(
      (async () => {
        while (!events.includes('drain')) await Bun.sleep(5);
      })(),
      2000,
      'drain',
    );
    expect(events.filter((e) => e === 'drain')).toEqual(['drain']);
    expect(transport.bufferedAmount).toBe(0);
  });

  it('end() flushes the queue before the FIN and still reads the peer until it ends', async () => {
    const { transport, peer, events, received } = await transportPair();
    peer.pause();
    const { chunks, expected } = sequenceChunks(40);
    expect(transport.write(chunks)).toBe(false);
    transport.end(); // must not drop what is queued
    expect(transport.write([new Uint8Array([1, 2, 3])])).toBe(true); // after end(): ignored, not thrown
    peer.resume();
    await peer.until((t) => t.length >= expected.length, 10_000);
    // Our FIN arrives after the last byte; the socket is half-closed, so the
    // peer can still send, and we still read it.
    peer.write('after-fin');
    await within(
      (async () => {
        while (Buffer.concat(received).toString() !== 'after-fin') await Bun.sleep(5);
      })(),
      2000,
      'bytes after our FIN',
    );
    peer.end();
    await within(peer.closed, 3000, 'socket closed after both FINs');
    expect(Buffer.from(peer.received()).equals(Buffer.from(expected))).toBe(true);
    await Bun.sleep(20);
    expect(events).toContain('eof');
  });

  it('coalesces small chunks without changing the bytes', async () => {
    const { transport, peer } = await transportPair();
    const small = Array.from({ length: 5000 }, (_, i) => new Uint8Array([i & 0xff, (i >> 8) & 0xff, 0x7e]));
    expect(transport.write(small)).toBe(true);
    const expected = Buffer.concat(small);
    await peer.until((t) => t.length >= expected.length);
    expect(Buffer.from(peer.received()).equals(expected)).toBe(true);
  });

  it('destroy() drops the queue and reports the end once', async () => {
    const { transport, peer, events } = await transportPair();
    peer.pause();
    transport.write(sequenceChunks(40).chunks);
    expect(transport.bufferedAmount).toBeGreaterThan(0);
    transport.destroy();
    expect(transport.bufferedAmount).toBe(0);
    peer.resume();
    await within(peer.closed, 3000, 'peer sees the reset');
    await Bun.sleep(20);
    expect(events.filter((e) => e.startsWith('eof')).length).toBeGreaterThanOrEqual(1);
    expect(events).not.toContain('drain');
  });
});
