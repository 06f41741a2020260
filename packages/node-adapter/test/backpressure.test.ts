import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder, UsageError } from '@framewire/codec';
import { WebSocketServer, connect, type Session } from '../src/index.js';
import { rawConnect, upgradeRequest, waitFor } from './helpers/net.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const KiB = 1024;
const MiB = 1024 * KiB;

async function listen(options: ConstructorParameters<typeof WebSocketServer>[0]): Promise<{ server: WebSocketServer; port: number }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  const { port } = await server.listen();
  cleanups.push(() => server.close({ timeout: 300 }));
  return { server, port };
}

describe('backpressure', () => {
  it('a peer that stops reading: send() returns false, bufferedAmount grows, then the outgoing limit closes with 1008', async () => {
    const highWaterMark = 256 * KiB;
    const maxBufferedAmount = 4 * MiB;
    const { server, port } = await listen({ highWaterMark, maxBufferedAmount });
    const sessionP = new Promise<Session>((resolve) => server.once('connection', resolve));

    const socket = await rawConnect(port);
    cleanups.push(() => socket.destroy());
    socket.on('error', () => {});
    const received: Buffer[] = [];
    let headDone = false;
    socket.on('data', (chunk: Buffer) => {
      if (!headDone) {
        headDone = true;
        socket.pause(); // read the 101 (and whatever came with it), then stop reading
      }
      received.push(chunk);
    });
    socket.write(upgradeRequest('/'));
    const session = await sessionP;

    const payload = new Uint8Array(64 * KiB).fill(0x61);
    let sawFalse = false;
    let maxBuffered = 0;
    let sent = 0;
    // Bounded: at most 2000 × 64 KiB offered; the limit must stop it long before.
    for (let i = 0; i < 2000 && session.readyState === 1; i++) {
      if (!session.send(payload)) sawFalse = true;
      sent++;
      maxBuffered = Math.max(maxBuffered, session.bufferedAmount);
      // Let the socket flush what the kernel takes, so the loop measures a real stall.
      if (i % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(sawFalse).toBe(true);
    expect(maxBuffered).toBeGreaterThan(highWaterMark);
    // Memory is bounded: the limit plus the one message that crossed it.
    expect(maxBuffered).toBeLessThanOrEqual(maxBufferedAmount + payload.length + 64);
    expect(sent).toBeLessThan(2000);
    expect(session.readyState).toBe(2); // closing: our 1008 is queued
    expect(() => session.send('more')).toThrow(UsageError);

    // The reader wakes up: it gets every queued message, then our close frame with 1008.
    socket.resume();
    const decoder = new FrameDecoder({ role: 'client', maxFrameSize: 16 * MiB, allowedRsv: {} });
    let closeCode: number | undefined;
    let dataFrames = 0;
    const drainDecoder = (): void => {
      for (;;) {
        const item = decoder.read();
        if (item === undefined) return;
        if (item.type !== 'frame') throw new Error(`unexpected ${item.type}`);
        if (item.frame.opcode === 0x2) dataFrames++;
        if (item.frame.opcode === 0x8) closeCode = (item.frame.payload[0]! << 8) | item.frame.payload[1]!;
      }
    };
    // Skip the 101 head, then decode frames.
    let pending = Buffer.concat(received.splice(0));
    await waitFor(() => {
      pending = Buffer.concat([pending, ...received.splice(0)]);
      const headEnd = pending.indexOf('\r\n\r\n');
      return headEnd >= 0;
    });
    const headEnd = pending.indexOf('\r\n\r\n') + 4;
    decoder.push(new Uint8Array(pending.subarray(headEnd)));
    drainDecoder();
    socket.on('data', (chunk: Buffer) => {
      decoder.push(new Uint8Array(chunk));
      drainDecoder();
    });
    for (const chunk of received.splice(0)) decoder.push(new Uint8Array(chunk));
    drainDecoder();
    await waitFor(() => closeCode !== undefined, 10_000, 'the close frame');
    expect(closeCode).toBe(1008);
    expect(dataFrames).toBe(sent); // nothing silently dropped
  });

  it('a slow but reading client receives every message in order while the server stays under its high-water mark', async () => {
    const highWaterMark = 128 * KiB;
    const { server, port } = await listen({ highWaterMark });
    const count = 600;
    const size = 16 * KiB;
    let maxBuffered = 0;
    server.on('connection', async (ws) => {
      for (let i = 0; i < count; i++) {
        const message = new Uint8Array(size);
        new DataView(message.buffer).setUint32(0, i);
        const ok = ws.send(message);
        maxBuffered = Math.max(maxBuffered, ws.bufferedAmount);
        if (!ok) await ws.drained();
        if (ws.readyState !== 1) return;
      }
      ws.close(1000, 'all sent');
    });

    // Our client reads slowly: its message listener returns a promise, which
    // holds reading (receive-side backpressure) until it settles.
    const client = await connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, receiveHighWaterMessages: 8 });
    const seen: number[] = [];
    client.on('message', (data) => {
      const bytes = data as Uint8Array;
      seen.push(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0));
      if (seen.length % 50 === 0) return new Promise((resolve) => setTimeout(resolve, 15));
      return undefined;
    });
    const closed = await client.closed;
    expect(closed).toEqual({ code: 1000, reason: 'all sent', wasClean: true });
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(maxBuffered).toBeLessThanOrEqual(highWaterMark + size + 64);
  });
});
