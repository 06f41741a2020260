import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionMessage } from '../src/session/session-inbox.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { sessionPair } from './session-helpers.js';

const RUNS = Number(process.env['FW_FUZZ_RUNS'] ?? 10_000);

async function microtasks(n = 30): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

const message = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 300 }),
);

describe('Session property: any chunking and delay', () => {
  it('delivers every message once, in order, both ways, and closes cleanly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { maxLength: 12 }),
        fc.array(message, { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.integer({ min: 3000, max: 4999 }),
        async (fromClient, fromServer, sizes, delays, clientCloses, code) => {
          const clock = new ManualClock();
          let s = 0;
          let d = 0;
          const { client, server, listenerErrors } = sessionPair({
            clock,
            transport: {
              scheduler: clock,
              delay: () => delays[d++ % delays.length]!,
              rechunk: (bytes) => {
                const pieces: Uint8Array[] = [];
                for (let at = 0; at < bytes.length; ) {
                  const n = sizes[s++ % sizes.length]!;
                  pieces.push(bytes.subarray(at, at + n));
                  at += n;
                }
                return pieces;
              },
            },
            serverConnection: { closeTimeout: 60_000 },
            clientConnection: { closeTimeout: 60_000 },
          });
          const atServer: SessionMessage[] = [];
          const atClient: SessionMessage[] = [];
          server.on('message', (m) => atServer.push(m));
          client.on('message', (m) => atClient.push(m));
          for (const m of fromClient) client.send(m);
          for (const m of fromServer) server.send(m);
          // Close only after everything arrived, so the comparison is exact.
          let closing = false;
          for (let step = 0; step < 2000; step++) {
            await microtasks();
            if (!closing && atServer.length === fromClient.length && atClient.length === fromServer.length) {
              closing = true;
              (clientCloses ? client : server).close(code, 'end');
            }
            if (client.readyState === 3 && server.readyState === 3) break;
            clock.advance(5);
          }
          expect(atServer).toEqual(fromClient);
          expect(atClient).toEqual(fromServer);
          // The side that receives the close reads the reason; the echo carries the code only.
          expect(await client.closed).toEqual({ code, reason: clientCloses ? '' : 'end', wasClean: true });
          expect(await server.closed).toEqual({ code, reason: clientCloses ? 'end' : '', wasClean: true });
          expect(listenerErrors).toEqual([]);
        },
      ),
      { numRuns: RUNS, seed: 4242 },
    );
  });

  it('a slow iterator consumer gets every message once, in order, with bounded pauses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
        async (messages, highWater, chunk, waits) => {
          const { client, server, serverEnd } = sessionPair({
            transport: { maxChunkSize: chunk },
            server: { receiveHighWaterMessages: highWater },
          });
          for (const m of messages) client.send(m);
          const got: SessionMessage[] = [];
          let w = 0;
          for await (const m of server) {
            got.push(m);
            await microtasks(waits[w++ % waits.length]! * 10);
            if (got.length === messages.length) break;
          }
          expect(got).toEqual(messages);
          expect(serverEnd.stats.resumes).toBe(serverEnd.stats.pauses);
          expect(serverEnd.paused).toBe(false);
          client.terminate();
        },
      ),
      { numRuns: RUNS, seed: 4243 },
    );
  });
});
