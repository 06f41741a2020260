// ConnTransport over a real loopback TCP pair: ordered writes with backpressure,
// buffer ownership, adaptive read buffers, pause/resume, half-close.
import assert from 'node:assert/strict';
import type { TransportSink } from '@framewire/codec/session';
import { ConnTransport } from '../src/conn-transport.ts';
import { delay, waitFor } from './helpers.ts';

/** A connected pair: our transport on one end, a plain Deno conn on the other. */
async function pair(options = {}): Promise<{ transport: ConnTransport; peer: Deno.TcpConn; listener: Deno.TcpListener }> {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const [peer, ours] = await Promise.all([Deno.connect({ hostname: '127.0.0.1', port: listener.addr.port }), listener.accept()]);
  return { transport: new ConnTransport(ours, options), peer, listener };
}

/** A sink that keeps every chunk it is given (as the codec may). */
function recorder(): TransportSink & { chunks: Uint8Array[]; eof: boolean; drains: number; total: () => number } {
  const sink = {
    chunks: [] as Uint8Array[],
    eof: false,
    drains: 0,
    receive: (chunk: Uint8Array) => void sink.chunks.push(chunk),
    receiveEof: () => void (sink.eof = true),
    drain: () => void sink.drains++,
    total: () => sink.chunks.reduce((n, c) => n + c.length, 0),
  };
  return sink;
}

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

async function readAll(conn: Deno.Conn, slow = 0): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buffer = new Uint8Array(16 * 1024);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    parts.push(buffer.slice(0, n));
    if (slow > 0) await delay(slow);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test('writes arrive complete and in order; backpressure is reported and drain follows', async () => {
  const { transport, peer, listener } = await pair({ writeHighWaterMark: 64 * 1024 });
  const sink = recorder();
  transport.attach(sink);
  const sent: Uint8Array[] = [];
  let refused = 0;
  // Many sizes, small (joined into one write) and large (partial writes), all queued at once.
  for (let i = 0; i < 300; i++) {
    const chunk = pattern(i % 3 === 0 ? 100_000 + i : 10 + i, i);
    sent.push(chunk);
    if (!transport.write([chunk.slice()])) refused++;
  }
  assert.ok(refused > 0, 'write() reported backpressure');
  assert.ok(transport.bufferedAmount > 64 * 1024);
  const reading = readAll(peer, 1);
  await waitFor(() => sink.drains > 0, 10_000, 'drain');
  transport.end();
  const received = await reading;
  const expected = new Uint8Array(sent.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of sent) {
    expected.set(c, at);
    at += c.length;
  }
  assert.equal(received.length, expected.length);
  assert.ok(received.every((b, i) => b === expected[i]), 'same bytes, same order');
  peer.close();
  await transport.released;
  listener.close();
});

Deno.test('chunks handed to the sink are never overwritten by later reads', async () => {
  const { transport, peer, listener } = await pair({ minReadSize: 1024, maxReadSize: 16 * 1024 });
  const sink = recorder();
  transport.attach(sink);
  const sent: Uint8Array[] = [];
  for (let i = 0; i < 50; i++) {
    // Small and large bursts: some reads are copied out, others hand the buffer over.
    const chunk = pattern(i % 2 === 0 ? 100 : 20_000, i);
    sent.push(chunk);
    let at = 0;
    while (at < chunk.length) at += await peer.write(chunk.subarray(at));
    if (i % 5 === 0) await delay(2);
  }
  const total = sent.reduce((n, c) => n + c.length, 0);
  await waitFor(() => sink.total() === total, 10_000, 'all bytes');
  const expected = new Uint8Array(total);
  let at = 0;
  for (const c of sent) {
    expected.set(c, at);
    at += c.length;
  }
  const got = new Uint8Array(total);
  at = 0;
  for (const c of sink.chunks) {
    got.set(c, at);
    at += c.length;
  }
  assert.ok(got.every((b, i) => b === expected[i]), 'every chunk kept its bytes');
  peer.close();
  await waitFor(() => sink.eof, 5000, 'EOF');
  transport.end(); // the peer ended and so do we: the conn is released
  await transport.released;
  listener.close();
});

Deno.test('the read buffer grows while reads fill it and shrinks back when the peer goes quiet', async () => {
  const { transport, peer, listener } = await pair({ minReadSize: 4096, maxReadSize: 64 * 1024 });
  const sink = recorder();
  transport.attach(sink);
  assert.equal(transport.readBufferSize, 4096);
  const big = pattern(2 * 1024 * 1024, 1);
  let at = 0;
  while (at < big.length) at += await peer.write(big.subarray(at));
  await waitFor(() => sink.total() === big.length, 10_000, 'the burst');
  assert.ok(sink.chunks.some((c) => c.length > 4096), 'reads larger than the idle buffer happened');
  await peer.write(new Uint8Array([1, 2, 3]));
  await waitFor(() => sink.total() === big.length + 3, 5000, 'the small write');
  assert.equal(transport.readBufferSize, 4096, 'back to the idle size');
  peer.close();
  transport.destroy();
  await transport.released;
  listener.close();
});

Deno.test('pause() stops reading until resume(); nothing is lost', async () => {
  const { transport, peer, listener } = await pair();
  const sink = recorder();
  transport.attach(sink);
  transport.pause();
  await delay(20);
  const data = pattern(8 * 1024 * 1024, 3);
  const writing = (async () => {
    let at = 0;
    while (at < data.length) at += await peer.write(data.subarray(at));
  })();
  await delay(300);
  // At most the read that was in flight when pause() came (≤ 64 KiB) got through.
  assert.ok(sink.total() <= 64 * 1024, `${sink.total()} bytes read while paused`);
  transport.resume();
  await writing;
  await waitFor(() => sink.total() === data.length, 10_000, 'all bytes after resume');
  peer.close();
  transport.destroy();
  await transport.released;
  listener.close();
});

Deno.test('end() writes the queue out, then half-closes; the conn is released after the peer ends', async () => {
  const { transport, peer, listener } = await pair();
  const sink = recorder();
  transport.attach(sink);
  const data = pattern(1024 * 1024, 9);
  transport.write([data]);
  transport.end();
  const received = await readAll(peer); // ends at our FIN
  assert.equal(received.length, data.length);
  assert.equal(transport.closed, false, 'still open for the peer’s last bytes');
  await peer.write(new Uint8Array([42]));
  await peer.closeWrite();
  await transport.released;
  assert.equal(sink.eof, true);
  assert.deepEqual([...sink.chunks.at(-1)!], [42]);
  peer.close();
  listener.close();
});

Deno.test('destroy() closes at once and reports the end', async () => {
  const { transport, peer, listener } = await pair();
  const sink = recorder();
  transport.attach(sink);
  transport.pause();
  transport.destroy();
  await transport.released;
  assert.equal(sink.eof, true);
  assert.equal(await peer.read(new Uint8Array(10)).catch(() => null), null);
  peer.close();
  listener.close();
});

/** `conn` with its reads watched: how many are in flight, and the buffer of the pending one. */
function watchReads(conn: Deno.TcpConn): { conn: Deno.TcpConn; inFlight: () => number; maxInFlight: () => number; pending: () => Uint8Array | undefined } {
  let inFlight = 0;
  let maxInFlight = 0;
  let pending: Uint8Array | undefined;
  const read = async (buffer: Uint8Array): Promise<number | null> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    pending = buffer;
    try {
      return await conn.read(buffer);
    } finally {
      inFlight--;
      pending = undefined;
    }
  };
  const watched = new Proxy(conn, {
    get: (target, key) => {
      if (key === 'read') return read;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { conn: watched, inFlight: () => inFlight, maxInFlight: () => maxInFlight, pending: () => pending };
}

// Issue 15's Deno soak: thousands of reads must leave no state behind (one read
// in flight, never a chain of them) and an idle connection must hold only the
// small read buffer, not a 64 KiB one as a `conn.readable` reader would.
Deno.test('many reads accumulate nothing: one read in flight, and an idle connection holds only minReadSize bytes', async () => {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const [peer, ours] = await Promise.all([Deno.connect({ hostname: '127.0.0.1', port: listener.addr.port }), listener.accept()]);
  const reads = watchReads(ours);
  const transport = new ConnTransport(reads.conn, { minReadSize: 512, maxReadSize: 64 * 1024 });
  const sink = recorder();
  transport.attach(sink);
  // Round trips of mixed sizes, as in an echo soak: copied-out reads, handed-over buffers, growth and shrink.
  // It ends on two small ones, so the idle read reuses the buffer the last chunk was copied out of.
  const sizes = [16, 600, 5000, 70_000, 16];
  let expected = 0;
  for (let i = 0; i < 201; i++) {
    const chunk = pattern(sizes[i % sizes.length]!, i);
    expected += chunk.length;
    let at = 0;
    while (at < chunk.length) at += await peer.write(chunk.subarray(at));
    await waitFor(() => sink.total() === expected, 5000, `round trip ${i}`);
  }
  await waitFor(() => reads.inFlight() === 1, 5000, 'the idle read');
  assert.equal(reads.maxInFlight(), 1, 'never more than one read in flight');
  assert.equal(transport.readBufferSize, 512, 'back to the idle size');
  const idle = reads.pending()!;
  // The whole backing store counts: a small view of a big pooled buffer would pin all of it.
  assert.equal(idle.buffer.byteLength, 512, 'the pending read holds a minReadSize buffer');
  assert.ok(sink.chunks.every((c) => c.buffer !== idle.buffer), 'the buffer being read into was never handed to the codec');
  peer.close();
  await waitFor(() => sink.eof, 5000, 'EOF');
  transport.destroy();
  await transport.released;
  listener.close();
});
