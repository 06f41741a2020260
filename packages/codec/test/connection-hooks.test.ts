// Runtime speed-ups are per connection (issue 16): a connection's hooks are
// used for its own frames only, and give the same bytes and events as the
// portable code for any chunking.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Connection } from '../src/protocol/connection.js';
import type { CodecHooks } from '../src/protocol/hooks.js';
import { Opcode } from '../src/protocol/opcode.js';
import { decodeOutput, drainEvents, peerFrame } from './connection-helpers.js';

/** A reference mask with bufferutil's signature, counting its calls. */
function countingHooks(): { hooks: CodecHooks; calls: { mask: number; allocate: number } } {
  const calls = { mask: 0, allocate: 0 };
  const hooks: CodecHooks = {
    mask: (source, key, output, offset, length) => {
      calls.mask++;
      for (let i = 0; i < length; i++) output[offset + i] = source[i]! ^ key[i & 3]!;
    },
    allocate: (size) => {
      calls.allocate++;
      return new Uint8Array(size);
    },
  };
  return { hooks, calls };
}

const fixedKey = (bytes: Uint8Array): void => bytes.set([1, 2, 3, 4]);

describe('per-connection hooks', () => {
  it("are used for this connection's frames and not for another connection's", () => {
    const { hooks, calls } = countingHooks();
    const hooked = new Connection({ role: 'server', now: () => 0, hooks });
    const plain = new Connection({ role: 'server', now: () => 0 });
    const big = peerFrame('server', { opcode: Opcode.Binary, payload: new Uint8Array(64 * 1024).fill(7) });
    plain.receive(big.slice());
    drainEvents(plain);
    expect(calls).toEqual({ mask: 0, allocate: 0 });
    // Split across two chunks so the payload is assembled (allocator) and unmasked (mask).
    hooked.receive(big.slice(0, 1000));
    hooked.receive(big.slice(1000));
    const events = drainEvents(hooked);
    expect(events).toHaveLength(1);
    expect(calls.mask).toBeGreaterThan(0);
    expect(calls.allocate).toBeGreaterThan(0);
  });

  it('property: a client with hooks writes the same bytes, and a server with hooks reads the same events, as without', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 9000 }),
        (sizes, chunk) => {
          const out = (hooks?: CodecHooks): Uint8Array[] => {
            const client = new Connection({ role: 'client', now: () => 0, random: fixedKey, ...(hooks ? { hooks } : {}) });
            for (const [i, size] of sizes.entries()) client.sendBinary(new Uint8Array(size).fill(i + 1));
            return client.takeOutput().map((c) => c.slice());
          };
          const withHooks = out(countingHooks().hooks);
          const without = out();
          expect(Buffer.concat(withHooks).equals(Buffer.concat(without))).toBe(true);
          const wire = Buffer.concat(without);
          const read = (hooks?: CodecHooks) => {
            const server = new Connection({ role: 'server', now: () => 0, maxMessageSize: 1 << 20, ...(hooks ? { hooks } : {}) });
            for (let i = 0; i < wire.length; i += chunk) server.receive(new Uint8Array(wire.subarray(i, i + chunk)));
            return drainEvents(server);
          };
          expect(read(countingHooks().hooks)).toEqual(read());
          expect(decodeOutput(withHooks, 'client').map((f) => f.payload.length)).toEqual(sizes);
        },
      ),
      { seed: 0x4008, numRuns: 60 },
    );
  });
});
