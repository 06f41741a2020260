// streamTransport (src/whatwg/stream-transport.ts): a Session over any Web
// Streams byte pair. Two sessions talk over in-memory TransformStream pipes
// with the real codec; the transport's own contract (order, pause, write
// backpressure, end, destroy) is checked directly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scheduler, TransportSink } from '../src/session/index.js';
import { acceptWebSocket, connectWebSocket } from '../src/session/index.js';
import { streamTransport, toWebSocketStream } from '../src/whatwg/index.js';

const runs = Number(process.env.FW_FUZZ_RUNS ?? 100);
const timers: Scheduler = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Two byte pipes crossed: what one side writes the other reads. */
function crossedPipes(): [{ readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }, { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }] {
  const ab = new TransformStream<Uint8Array, Uint8Array>();
  const ba = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: ba.readable, writable: ab.writable },
    { readable: ab.readable, writable: ba.writable },
  ];
}

/** A sink that records what the transport hands up. */
function recorder(): TransportSink & { chunks: Uint8Array[]; eof: unknown[]; drains: number } {
  const sink = {
    chunks: [] as Uint8Array[],
    eof: [] as unknown[],
    drains: 0,
    receive: (chunk: Uint8Array) => void sink.chunks.push(chunk),
    receiveEof: (error?: unknown) => void sink.eof.push(error ?? 'eof'),
    drain: () => void sink.drains++,
  };
  return sink;
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('streamTransport', () => {
  it('runs a client and a server Session over a byte pipe pair: handshake, messages both ways, close', async () => {
    const [clientSide, serverSide] = crossedPipes();
    const serverTransport = streamTransport(serverSide);
    const accepted = acceptWebSocket(serverTransport, { scheduler: timers, protocols: ['p1'] });
    serverTransport.attach(accepted);
    const clientTransport = streamTransport(clientSide);
    const upgrade = connectWebSocket(clientTransport, { url: 'ws://pipe/', protocols: ['p1'], scheduler: timers });
    clientTransport.attach(upgrade);

    const result = await accepted.result;
    if (result.type !== 'accepted') throw new Error(`not accepted: ${result.type}`);
    const { readable, writable } = await toWebSocketStream(result.session).opened;
    void readable.pipeTo(writable).catch(() => {});
    const client = await upgrade.session;
    expect(client.protocol).toBe('p1');
    const replies: unknown[] = [];
    client.on('message', (data) => void replies.push(data));
    client.send('over a pipe');
    client.send(new Uint8Array([1, 2, 3]));
    while (replies.length < 2) await tick(1);
    expect(replies[0]).toBe('over a pipe');
    expect(Array.from(replies[1] as Uint8Array)).toEqual([1, 2, 3]);
    client.close(1000, 'done');
    expect(await client.closed).toEqual({ code: 1000, reason: '', wasClean: true });
    expect((await result.session.closed).code).toBe(1000);
  });

  it('write returns false past highWaterMark, then drain() once the writable took the bytes', async () => {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const transport = streamTransport({ readable: new ReadableStream(), writable }, { highWaterMark: 8 });
    const sink = recorder();
    transport.attach(sink);
    expect(transport.write([new Uint8Array(4)])).toBe(true);
    expect(transport.write([new Uint8Array(6)])).toBe(false);
    expect(transport.bufferedAmount).toBe(10);
    await tick();
    expect(sink.drains).toBe(0); // nobody read the other end: the bytes still wait
    const reader = readable.getReader();
    const got = [(await reader.read()).value!.length, (await reader.read()).value!.length];
    await tick();
    expect(got).toEqual([4, 6]);
    expect(sink.drains).toBe(1);
    expect(transport.bufferedAmount).toBe(0);
  });

  it('end() closes the writable after pending writes; the readable ending is the sink EOF; destroy() cancels both', async () => {
    const out = new TransformStream<Uint8Array, Uint8Array>();
    const input = new TransformStream<Uint8Array, Uint8Array>();
    const transport = streamTransport({ readable: input.readable, writable: out.writable });
    const sink = recorder();
    transport.attach(sink);
    transport.write([new Uint8Array([7])]);
    transport.end();
    const reader = out.readable.getReader();
    expect(Array.from((await reader.read()).value!)).toEqual([7]);
    expect((await reader.read()).done).toBe(true);
    const inputWriter = input.writable.getWriter();
    await inputWriter.close();
    await tick();
    expect(sink.eof).toEqual(['eof']);

    const other = new TransformStream<Uint8Array, Uint8Array>();
    const destroyed = streamTransport({ readable: new ReadableStream({ pull: () => new Promise(() => {}) }), writable: other.writable });
    destroyed.attach(recorder());
    destroyed.destroy();
    await expect(other.readable.getReader().read()).rejects.toThrow('the transport was destroyed');
    expect(destroyed.write([new Uint8Array(1)])).toBe(true); // ignored once destroyed
  });

  it('property: any chunking, with pauses anywhere, reaches the sink whole and in order; nothing is read while paused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 16 }), { maxLength: 12 }), fc.array(fc.boolean(), { maxLength: 12 }), async (chunks, pauses) => {
        let pulled = 0;
        const source = new ReadableStream<Uint8Array>({
          pull(controller) {
            const next = chunks[pulled++];
            if (next === undefined) controller.close();
            else controller.enqueue(next.slice());
          },
        }, { highWaterMark: 0 });
        const transport = streamTransport({ readable: source, writable: new WritableStream() });
        const sink = recorder();
        transport.attach(sink);
        for (const pause of pauses) {
          if (pause) {
            transport.pause();
            await tick();
            const seen = sink.chunks.length;
            await tick();
            if (sink.chunks.length > seen + 1) return false; // at most the read already in flight lands
            transport.resume();
          }
          await tick();
        }
        while (sink.eof.length === 0) await tick();
        const joined = (list: Uint8Array[]): number[] => list.flatMap((c) => Array.from(c));
        return JSON.stringify(joined(sink.chunks)) === JSON.stringify(joined(chunks)) && sink.eof.length === 1;
      }),
      { seed: 0x23, numRuns: runs },
    );
  });
});
