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
  it('writes a lone chunk at once and corks several into one writev, copying nothing', async () => {
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
    const payload = new Uint8Array(100_000).fill(1);
    // Header + payload: corked and uncorked within the call (one writev, nothing deferred).
    transport.write([new Uint8Array([0x82, 0x7f]), payload]);
    expect(calls).toEqual(['cork', 'write', 'write', 'uncork']);
    expect(written[1]).toBe(payload); // handed over as is
    // A lone small frame (the round-trip case): one write, no cork.
    transport.write([new Uint8Array([0x81, 0x01, 0x61])]);
    expect(calls).toEqual(['cork', 'write', 'write', 'uncork', 'write']);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(calls).toHaveLength(5); // nothing left for a later tick
    let received = 0;
    remote.on('data', (chunk: Buffer) => (received += chunk.length));
    await new Promise<void>((resolve) => {
      const check = (): void => (received >= 100_005 ? resolve() : void setTimeout(check, 5));
      check();
    });
    expect(received).toBe(100_005);
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
