import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SocketTransport, nodeScheduler } from '../src/index.js';
import { rawConnect } from './helpers/net.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A connected pair of real sockets over loopback. */
async function socketPair(): Promise<{ local: Socket; remote: Socket }> {
  const server = createServer();
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const local = await rawConnect((server.address() as AddressInfo).port);
  const remote = await accepted;
  cleanups.push(() => {
    local.destroy();
    remote.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { local, remote };
}

describe('SocketTransport', () => {
  it('writes a lone frame at once; a second write in the tick corks, and one shared nextTick uncorks every socket', async () => {
    const a = await socketPair();
    const b = await socketPair();
    const calls: string[] = [];
    for (const [name, socket] of [['a', a.local], ['b', b.local]] as const) {
      const cork = socket.cork.bind(socket);
      const uncork = socket.uncork.bind(socket);
      const write = socket.write.bind(socket) as (chunk: Uint8Array) => boolean;
      socket.cork = () => (calls.push(`${name}:cork`), cork());
      socket.uncork = () => (calls.push(`${name}:uncork`), uncork());
      (socket as unknown as { write: (chunk: Uint8Array) => boolean }).write = (chunk) => (calls.push(`${name}:write`), write(chunk));
    }
    const ta = new SocketTransport(a.local);
    const tb = new SocketTransport(b.local);
    const frame = new Uint8Array([0x82, 0x01, 0x07]); // one shared frame, as a topic publish writes it
    ta.write([frame]);
    tb.write([frame]);
    expect(calls).toEqual(['a:write', 'b:write']); // no cork for a lone write
    ta.write([frame]);
    expect(calls).toEqual(['a:write', 'b:write', 'a:cork']); // a small chunk waits for the end of the tick
    await new Promise((resolve) => process.nextTick(resolve));
    expect(calls).toEqual(['a:write', 'b:write', 'a:cork', 'a:write', 'a:uncork']);
    // The next tick starts afresh.
    tb.write([frame]);
    expect(calls.at(-1)).toBe('b:write');
    let received = 0;
    a.remote.on('data', (chunk: Buffer) => (received += chunk.length));
    await new Promise<void>((resolve) => {
      const check = (): void => (received >= 6 ? resolve() : void setTimeout(check, 5));
      check();
    });
    expect(received).toBe(6);
  });

  it('after the first write of a tick: one cork/uncork; large payloads go as they are, small chunks joined', async () => {
    const { local, remote } = await socketPair();
    const transport = new SocketTransport(local);
    const calls: string[] = [];
    const written: Uint8Array[] = [];
    const cork = local.cork.bind(local);
    const uncork = local.uncork.bind(local);
    const write = local.write.bind(local) as (chunk: Uint8Array) => boolean;
    local.cork = () => (calls.push('cork'), cork());
    local.uncork = () => (calls.push('uncork'), uncork());
    (local as unknown as { write: (chunk: Uint8Array) => boolean }).write = (chunk) => {
      calls.push('write');
      written.push(chunk);
      return write(chunk);
    };
    const header = new Uint8Array([0x82, 0x7f]);
    const payload = new Uint8Array(100_000).fill(1);
    transport.write([header, payload]);
    // Small frames of later sends in the same tick wait, counted in bufferedAmount.
    transport.write([new Uint8Array([0x81, 0x01, 0x61])]);
    transport.write([new Uint8Array([0x81, 0x01, 0x62]), new Uint8Array([0x81, 0x01, 0x63])]);
    expect(calls).toEqual(['cork', 'write', 'write']);
    expect(written[0]).toBe(header); // a run of one small chunk is not copied
    // A large payload is handed over as is, after what came before it: a Buffer view of the same memory.
    expect(written[1]!.buffer).toBe(payload.buffer);
    expect(written[1]!.byteLength).toBe(payload.byteLength);
    expect(transport.bufferedAmount).toBe(local.writableLength + 9);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(calls).toEqual(['cork', 'write', 'write', 'write', 'uncork']);
    expect(Array.from(written[2]!)).toEqual([0x81, 0x01, 0x61, 0x81, 0x01, 0x62, 0x81, 0x01, 0x63]); // joined, in order
    const chunks: Buffer[] = [];
    remote.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise<void>((resolve) => {
      const check = (): void => (Buffer.concat(chunks).length >= 100_011 ? resolve() : void setTimeout(check, 5));
      check();
    });
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(100_011);
    expect(Array.from(all.subarray(100_002))).toEqual([0x81, 0x01, 0x61, 0x81, 0x01, 0x62, 0x81, 0x01, 0x63]);
  });

  it('end() sends the small chunks still held, then FIN; destroy() drops them', async () => {
    const { local, remote } = await socketPair();
    const transport = new SocketTransport(local);
    const received: Buffer[] = [];
    remote.on('data', (chunk: Buffer) => received.push(chunk));
    const ended = new Promise((resolve) => remote.once('end', resolve));
    transport.write([new Uint8Array([1, 2, 3])]); // the first write of the tick goes at once
    transport.write([new Uint8Array([4, 5])]); // the second is held
    transport.end();
    await ended;
    expect(Array.from(Buffer.concat(received))).toEqual([1, 2, 3, 4, 5]);
    const other = await socketPair();
    const dropped = new SocketTransport(other.local);
    dropped.write([new Uint8Array([4])]);
    dropped.write([new Uint8Array([5])]);
    expect(dropped.bufferedAmount).toBe(other.local.writableLength + 1);
    dropped.destroy();
    expect(dropped.bufferedAmount).toBe(other.local.writableLength);
  });

  it('routes socket events to the sink: data, end and errors as receiveEof, drain', async () => {
    const { local, remote } = await socketPair();
    const transport = new SocketTransport(local);
    const events: string[] = [];
    transport.attach({
      receive: (chunk) => events.push(`data:${Buffer.from(chunk).toString()}`),
      receiveEof: (error) => events.push(error === undefined ? 'eof' : `eof:${(error as NodeJS.ErrnoException).code}`),
      drain: () => events.push('drain'),
    });
    remote.write('abc');
    await new Promise((resolve) => setTimeout(resolve, 30));
    remote.resetAndDestroy();
    await new Promise((resolve) => local.once('close', resolve));
    expect(events[0]).toBe('data:abc');
    expect(events).toContain('eof:ECONNRESET');
  });

  it('the scheduler runs timers on a monotonic clock and can cancel them', async () => {
    const start = nodeScheduler.now();
    let fired = 0;
    const cancelled = nodeScheduler.setTimer(() => fired--, 5);
    nodeScheduler.clearTimer(cancelled);
    await new Promise<void>((resolve) => nodeScheduler.setTimer(() => ((fired += 1), resolve()), 10));
    expect(fired).toBe(1);
    expect(nodeScheduler.now() - start).toBeGreaterThanOrEqual(9);
  });
});
