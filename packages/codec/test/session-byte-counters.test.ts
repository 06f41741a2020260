import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionMessage } from '../src/session/session-inbox.js';
import { sessionPair, settle } from './session-helpers.js';

const RUNS = Math.min(Number(process.env['FW_FUZZ_RUNS'] ?? 300), 20_000);

/** RFC 6455 §5.2 frame size of one unfragmented message: header, mask key from a client, payload. */
function frameSize(payload: number, masked: boolean): number {
  const length = payload < 126 ? 0 : payload < 65536 ? 2 : 8;
  return 2 + length + (masked ? 4 : 0) + payload;
}

describe('Session byte counters', () => {
  it('count the frames on the wire in both directions', async () => {
    const { client, server } = sessionPair();
    const got: SessionMessage[] = [];
    server.on('message', (m) => got.push(m));
    client.on('message', (m) => got.push(m));
    client.send('hi');
    server.send(new Uint8Array(200));
    await settle();
    expect(got).toHaveLength(2);
    expect(client.bytesSent).toBe(frameSize(2, true));
    expect(server.bytesReceived).toBe(frameSize(2, true));
    expect(server.bytesSent).toBe(frameSize(200, false));
    expect(client.bytesReceived).toBe(frameSize(200, false));
    client.terminate();
  });

  it('property: what one side sent is what the other received, under any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 70_000 })), { maxLength: 6 }),
        fc.integer({ min: 1, max: 4096 }),
        async (messages, chunk) => {
          const { client, server } = sessionPair({ transport: { maxChunkSize: chunk } });
          let received = 0;
          server.on('message', () => received++);
          for (const m of messages) client.send(m);
          for (let i = 0; i < 200 && received < messages.length; i++) await settle(1);
          expect(received).toBe(messages.length);
          const sizes = messages.map((m) => (typeof m === 'string' ? new TextEncoder().encode(m).length : m.length));
          const expected = sizes.reduce((sum, size) => sum + frameSize(size, true), 0);
          expect(client.bytesSent).toBe(expected);
          expect(server.bytesReceived).toBe(expected);
          expect(server.bytesSent).toBe(0);
          client.terminate();
        },
      ),
      { numRuns: RUNS, seed: 4250 },
    );
  });
});
