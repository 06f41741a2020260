// Properties of the Bun.serve path, on a real Bun.serve: the socket's
// delivery state machine (held messages, listener promises pausing Bun's
// reading) loses, reorders and retypes nothing whatever the timing; the
// heartbeat mapping stays in Bun's range and gives the peer at least
// interval + timeout of silence. FW_FUZZ_SEED / FW_FUZZ_RUNS as elsewhere.
import { expect, test } from 'bun:test';
import fc from 'fast-check';
import { BunServeUpgrader, bunIdleTimeout, connect, isWebSocketRequest, type BunServeSocket } from '../src/index.js';
import { onCleanup, useCleanup, within } from './helpers.js';

useCleanup();

const seed = Number(process.env['FW_FUZZ_SEED'] ?? 42);
const numRuns = Number(process.env['FW_FUZZ_RUNS'] ?? 300);

test('bunIdleTimeout: 0 when off, else within 8..960 s and never shorter than interval + timeout (up to the cap)', () => {
  fc.assert(
    fc.property(fc.integer({ min: -1000, max: 2_000_000 }), fc.integer({ min: -1000, max: 2_000_000 }), (interval, timeout) => {
      const seconds = bunIdleTimeout({ interval, timeout });
      if (interval <= 0) return seconds === 0;
      const wanted = (interval + Math.max(0, timeout)) / 1000;
      return Number.isInteger(seconds) && seconds >= 8 && seconds <= 960 && (seconds >= wanted || seconds === 960);
    }),
    { seed, numRuns },
  );
  expect(bunIdleTimeout(false)).toBe(0);
});

/** One message of a run and how long the server's listener takes over it (0: synchronous). */
const messageArb = fc.record({
  binary: fc.boolean(),
  size: fc.oneof(fc.constantFrom(0, 1, 125, 126, 65_535, 65_536), fc.integer({ min: 0, max: 4096 })),
  delayMs: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 3 })),
});

test('delivery: every message arrives once, in order, with its type, whatever the listener promises and iterator use', async () => {
  const upgrader = new BunServeUpgrader();
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request, srv) => (isWebSocketRequest(request) ? upgrader.upgrade(request, srv) : new Response('plain')),
    websocket: upgrader.websocket,
  });
  onCleanup(async () => {
    await upgrader.close({ timeout: 300 });
    await server.stop(true);
  });
  // Fewer runs by default: each one is a real connection.
  await fc.assert(
    fc.asyncProperty(fc.array(messageArb, { minLength: 1, maxLength: 40 }), fc.nat({ max: 40 }), async (messages, iterateFirst) => {
      const opened = new Promise<BunServeSocket>((resolve) => upgrader.once('connection', resolve));
      const client = await connect(`ws://127.0.0.1:${server.port}/`);
      const socket = await within(opened, 5000, 'connection');
      const got: { binary: boolean; size: number; first: number }[] = [];
      const record = (data: unknown): void => {
        const binary = typeof data !== 'string';
        const size = binary ? (data as Uint8Array).byteLength : (data as string).length;
        const first = size === 0 ? -1 : binary ? (data as Uint8Array)[0]! : (data as string).charCodeAt(0);
        got.push({ binary, size, first });
      };
      messages.forEach((m, i) => {
        const mark = 97 + (i % 26);
        client.send(m.binary ? new Uint8Array(m.size).fill(mark) : String.fromCharCode(mark).repeat(m.size));
      });
      // Take the first messages through the iterator (they wait, reading paused), then switch to a listener.
      const iterator = socket[Symbol.asyncIterator]();
      for (let i = 0; i < Math.min(iterateFirst, messages.length); i++) record((await within(iterator.next(), 5000, 'iterated')).value);
      let n = got.length;
      socket.on('message', (data) => {
        record(data);
        const delay = messages[n++]?.delayMs ?? -1;
        return delay < 0 ? undefined : Bun.sleep(delay);
      });
      await within((async () => { while (got.length < messages.length) await Bun.sleep(2); })(), 10_000, 'all messages');
      client.close(1000);
      await within(socket.closed, 5000, 'closed');
      const want = messages.map((m, i) => ({ binary: m.binary, size: m.size, first: m.size === 0 ? -1 : 97 + (i % 26) }));
      expect(got).toEqual(want);
    }),
    { seed, numRuns: Math.max(1, Math.ceil(numRuns / 10)) },
  );
}, 120_000);
