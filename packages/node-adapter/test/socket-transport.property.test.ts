// Property test of SocketTransport's write batching: whatever mix of small
// (held and joined) and large (written as they are) chunks one tick brings,
// over several write() calls, the peer receives exactly their bytes in
// order, and bufferedAmount counts the held ones. Fixed seed (FW_FUZZ_SEED,
// default 42); FW_FUZZ_RUNS for a longer run by hand.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocketTransport } from '../src/index.js';
import { rawConnect } from './helpers/net.js';

const runs = Number(process.env.FW_FUZZ_RUNS ?? 40);
const seed = Number(process.env.FW_FUZZ_SEED ?? 42);

const server = createServer();
let port = 0;
const accepted: Socket[] = [];
beforeAll(async () => {
  server.on('connection', (socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const socket of accepted) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A chunk of `size` bytes whose content tells its place: byte i is (tag + i) & 0xff. */
function chunk(size: number, tag: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (tag + i) & 0xff;
  return bytes;
}

// Sizes around the thresholds: small (≤ 1 KiB, held), large, and runs that overflow the 64 KiB join buffer.
const size = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1000, max: 1100 }), fc.integer({ min: 1025, max: 70_000 }));
const calls = fc.array(fc.array(size, { minLength: 0, maxLength: 80 }), { minLength: 1, maxLength: 6 });

describe('SocketTransport batching (property)', () => {
  it('delivers every chunk of a tick exactly once, in order, whatever their sizes', async () => {
    await fc.assert(
      fc.asyncProperty(calls, async (writes) => {
        const before = accepted.length;
        const local = await rawConnect(port);
        while (accepted.length === before) await new Promise((resolve) => setTimeout(resolve, 1));
        const remote = accepted[accepted.length - 1]!;
        const transport = new SocketTransport(local);
        const received: Buffer[] = [];
        remote.on('data', (data: Buffer) => received.push(data));
        const expected: Uint8Array[] = [];
        let tag = 0;
        for (const sizes of writes) {
          const chunks = sizes.map((n) => chunk(n, tag++));
          expected.push(...chunks);
          transport.write(chunks);
        }
        const total = expected.reduce((sum, part) => sum + part.length, 0);
        // Nothing is lost while held: the socket's queue plus what is held is everything not yet sent.
        expect(transport.bufferedAmount).toBeLessThanOrEqual(total);
        transport.end();
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('peer did not get the bytes within 10 s')), 10_000);
          remote.once('end', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        remote.destroy();
        local.destroy();
        expect(Buffer.compare(Buffer.concat(received), Buffer.concat(expected))).toBe(0);
      }),
      { numRuns: runs, seed },
    );
  }, 120_000);
});
