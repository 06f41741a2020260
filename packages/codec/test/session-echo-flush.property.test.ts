// A send made from a message listener is written by the flush that ends the
// processing pass (no flush microtask is queued for it); a send made outside
// a pass goes through the shared flush microtask. Both paths must put the same
// frames on the wire, whatever the chunking of the input, and a listener's
// reply must be on the wire before `receive` returns.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Connection } from '../src/protocol/connection.js';
import { Session } from '../src/session/session.js';
import type { Transport } from '../src/session/transport.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { chunkBytes, concatBytes } from '../src/testing/arbitraries-frame.js';
import { decodeOutput, peerFrame } from './connection-helpers.js';

const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const runs = Number(process.env.FW_FUZZ_RUNS ?? 300);

/** A transport that records every write. */
function recordingTransport(): Transport & { writes: Uint8Array[][] } {
  const writes: Uint8Array[][] = [];
  return {
    writes,
    write: (chunks) => {
      writes.push([...chunks]);
      return true;
    },
    end: () => {},
    destroy: () => {},
    pause: () => {},
    resume: () => {},
  };
}

function serverSession(transport: Transport): Session {
  const clock = new ManualClock();
  return new Session({ connection: new Connection({ role: 'server', now: () => clock.now() }), transport, scheduler: clock });
}

async function microtasks(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

const wire = (writes: Uint8Array[][]): [number, string][] =>
  decodeOutput(writes.flat(), 'server').map((f) => [f.opcode, Buffer.from(f.payload).toString('hex')]);

const message = fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 300 }));

describe('Session: a listener reply is flushed by the pass that delivered the message', () => {
  it('puts the same frames on the wire as sends made outside a pass, on any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), async (messages, sizes) => {
        // Text payloads must be valid UTF-8: use the hex of the random bytes.
        const bodies = messages.map(([text, bytes]) => (text ? Buffer.from(bytes).toString('hex') : bytes));
        const input = concatBytes(bodies.map((b) => peerFrame('server', { opcode: typeof b === 'string' ? 1 : 2, payload: b })));

        // Fast path: the echo inside the listener, flushed by the pass.
        const echoed = recordingTransport();
        const echo = serverSession(echoed);
        let delivered = 0;
        echo.on('message', (data, isBinary) => {
          delivered++;
          echo.send(data as Uint8Array, { binary: isBinary });
        });
        await microtasks(); // open
        for (const chunk of chunkBytes(input, sizes)) {
          const before = delivered;
          const writesBefore = echoed.writes.length;
          echo.receive(chunk.slice());
          // Every message delivered by this chunk was answered before receive returned.
          expect(wire(echoed.writes).length).toBe(delivered);
          if (delivered > before) expect(echoed.writes.length).toBe(writesBefore + 1);
        }
        const writesAfterInput = echoed.writes.length;
        await microtasks();
        expect(echoed.writes.length).toBe(writesAfterInput); // nothing left for a later pass

        // General path: the same messages sent from outside a pass.
        const sent = recordingTransport();
        const plain = serverSession(sent);
        await microtasks();
        for (const b of bodies) plain.send(b, { binary: typeof b !== 'string' });
        await microtasks();

        expect(wire(echoed.writes)).toEqual(wire(sent.writes));
        expect(wire(echoed.writes)).toHaveLength(bodies.length);
      }),
      { seed, numRuns: runs },
    );
  });

  it('a reply sent from a listener after close() in the same pass still goes out before the close frame', async () => {
    const transport = recordingTransport();
    const session = serverSession(transport);
    session.on('message', (data) => {
      session.send(data as Uint8Array);
      session.close(4000, 'done');
    });
    await microtasks();
    session.receive(peerFrame('server', { opcode: 2, payload: new Uint8Array([1, 2, 3]) }));
    await microtasks();
    expect(wire(transport.writes)).toEqual([
      [2, '010203'],
      [8, Buffer.from([0x0f, 0xa0, ...Buffer.from('done')]).toString('hex')],
    ]);
  });
});
