// Properties of the Deno transport's I/O state: the read-size policy (any
// sequence of reads keeps the buffer within its bounds, leaves an idle
// connection on the small buffer and returns to the burst size at once),
// and the write queue (chunks of any sizes, written in any batches, arrive
// complete and in order through the reused join buffer over real loopback
// TCP). FW_FUZZ_SEED / FW_FUZZ_RUNS as elsewhere.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TransportSink } from '@framewire/codec/session';
import { ConnTransport } from '../src/conn-transport.ts';
import { afterRead, initialReadSizing } from '../src/read-size.ts';

const seed = Number(Deno.env.get('FW_FUZZ_SEED') ?? 42);
const numRuns = Number(Deno.env.get('FW_FUZZ_RUNS') ?? 300);

/** A read's outcome as a fraction of its buffer: 1 fills it. */
const fillArb = fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true }));
const boundsArb = fc
  .tuple(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 0, max: 1 << 20 }))
  .map(([min, extra]) => ({ min, max: min + extra }));

Deno.test('read sizing: within [min, max]; a short read drops to min; a full min read returns to the burst size', () => {
  fc.assert(
    fc.property(boundsArb, fc.array(fillArb, { maxLength: 200 }), ({ min, max }, fills) => {
      const sizing = initialReadSizing(min);
      for (const fill of fills) {
        const size = sizing.size;
        const n = Math.max(1, Math.min(size, Math.round(size * fill)));
        const burstBefore = sizing.burst;
        afterRead(sizing, n, min, max);
        assert.ok(sizing.size >= min && sizing.size <= max, `size ${sizing.size} out of [${min}, ${max}]`);
        if (n === size) {
          const expected = size === min && burstBefore > min ? burstBefore : Math.min(size * 4, max);
          assert.equal(sizing.size, expected);
        } else if (n * 4 < size) {
          assert.equal(sizing.size, min, 'idle after a short read: only the small buffer is pinned');
          if (size > min) assert.equal(sizing.burst, size);
        } else assert.equal(sizing.size, size, 'a read between a quarter and full keeps its size');
        assert.ok(sizing.burst <= max);
      }
    }),
    { seed, numRuns },
  );
});

Deno.test('read sizing: reads that keep filling reach max in log4(max / min) steps', () => {
  fc.assert(
    fc.property(boundsArb, ({ min, max }) => {
      const sizing = initialReadSizing(min);
      let steps = 0;
      while (sizing.size < max && steps < 64) {
        afterRead(sizing, sizing.size, min, max);
        steps++;
      }
      assert.equal(sizing.size, max);
      assert.ok(steps <= Math.ceil(Math.log(max / min) / Math.log(4)) + 1);
      // After a short read and one full small read it is back at max straight away.
      if (max >= 4 * min) {
        afterRead(sizing, 1, min, max);
        assert.equal(sizing.size, min);
        afterRead(sizing, min, min, max);
        assert.equal(sizing.size, max);
      }
    }),
    { seed, numRuns },
  );
});

/** A sink that keeps every received chunk. */
function recorder(): TransportSink & { total: number; eof: boolean } {
  const sink = { total: 0, eof: false, receive: (chunk: Uint8Array) => void (sink.total += chunk.length), receiveEof: () => void (sink.eof = true), drain: () => {} };
  return sink;
}

Deno.test('writes of any sizes in any batches arrive complete and in order through the join buffer', async () => {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 16_000, max: 80_000 })), { minLength: 1, maxLength: 8 }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (batches) => {
          const [peer, ours] = await Promise.all([Deno.connect({ hostname: '127.0.0.1', port: listener.addr.port }), listener.accept()]);
          const transport = new ConnTransport(ours, { writeHighWaterMark: 16 * 1024 });
          transport.attach(recorder());
          const expected: number[] = [];
          let next = 0;
          for (const batch of batches) {
            const chunks = batch.map((length) => {
              const chunk = new Uint8Array(length);
              for (let i = 0; i < length; i++) chunk[i] = (next + i * 7) & 0xff;
              for (const byte of chunk) expected.push(byte);
              next++;
              return chunk;
            });
            transport.write(chunks);
            // Sometimes let the queue drain (the join buffer is dropped), sometimes not.
            if (next % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
          }
          transport.end();
          const received: number[] = [];
          const buffer = new Uint8Array(64 * 1024);
          for (;;) {
            const n = await peer.read(buffer);
            if (n === null) break;
            for (let i = 0; i < n; i++) received.push(buffer[i]!);
          }
          peer.close();
          await transport.released;
          assert.equal(received.length, expected.length);
          assert.ok(received.every((byte, i) => byte === expected[i]), 'same bytes, same order');
        },
      ),
      { seed, numRuns: Math.max(1, Math.floor(numRuns / 10)) },
    );
  } finally {
    listener.close();
  }
});
