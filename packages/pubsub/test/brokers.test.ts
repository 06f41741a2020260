import type { BrokerMessage } from '@framewire/codec/session';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrokerUnavailableError, NatsBroker, RedisBroker } from '../src/index.js';
import { bytes, text, waitFor } from './helpers.js';
import { startNats, startRedis, type Service } from './services.js';

type AnyBroker = RedisBroker | NatsBroker;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

const message = (topic: string, data: string, origin = 'a'): BrokerMessage => ({ topic, data: bytes(data), binary: false, compress: false, origin });

const kinds: Array<{ name: string; start: () => Promise<Service>; make: (url: string) => AnyBroker }> = [
  { name: 'RedisBroker', start: () => startRedis(), make: (url) => new RedisBroker({ url, maxReconnectDelay: 200 }) },
  { name: 'NatsBroker', start: () => startNats(), make: (url) => new NatsBroker({ servers: url, reconnectTimeWait: 100 }) },
];

for (const kind of kinds) {
  describe(kind.name, () => {
    const open: AnyBroker[] = [];
    let service: Service | undefined;
    afterEach(async () => {
      for (const broker of open.splice(0)) await broker.close();
      await service?.stop();
      service = undefined;
    });
    const make = (url: string): AnyBroker => {
      const broker = kind.make(url);
      open.push(broker);
      return broker;
    };

    it('carries every field between two brokers, in order, and stops after unsubscribe', async () => {
      service = await kind.start();
      const a = make(service.url);
      const b = make(service.url);
      await Promise.all([a.ready(), b.ready()]);
      const got: BrokerMessage[] = [];
      const listener = (m: BrokerMessage): void => void got.push(m);
      await b.subscribe('room.1 *>', listener);
      const sent: BrokerMessage = { topic: 'room.1 *>', data: new Uint8Array([0, 255, 1]), binary: true, compress: true, origin: 'server-a' };
      // NATS: the subscription reaches the server with the next flush; publish until it is through.
      await waitFor('first delivery', async () => {
        await a.publish(sent);
        return got.length > 0;
      });
      expect({ ...got[0]!, data: [...got[0]!.data] }).toEqual({ ...sent, data: [0, 255, 1] });
      // Extra copies of `sent` may still be on their way: everything before `sync` arrives before it.
      await a.publish(message('room.1 *>', 'sync'));
      await waitFor('sync', () => got.some((m) => text(m.data) === 'sync'));
      got.length = 0;
      for (let i = 0; i < 50; i++) await a.publish(message('room.1 *>', `m${i}`));
      await a.publish(message('other', 'not for b'));
      await waitFor('50 messages', () => got.length >= 50);
      expect(got.map((m) => text(m.data))).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
      expect(got.every((m) => m.topic === 'room.1 *>' && !m.binary && m.origin === 'a')).toBe(true);
      await b.unsubscribe('room.1 *>', listener);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await a.publish(message('room.1 *>', 'late'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(got.length).toBe(50);
    });

    it('survives SIGKILL of the server: publish rejects with FW_ERR_BROKER_UNAVAILABLE, the subscription comes back', async () => {
      service = await kind.start();
      const publisher = make(service.url);
      const subscriber = make(service.url);
      await Promise.all([publisher.ready(), subscriber.ready()]);
      const got: string[] = [];
      await subscriber.subscribe('ticks', (m) => void got.push(text(m.data)));
      await waitFor('delivery before the outage', async () => {
        await publisher.publish(message('ticks', 'before'));
        return got.includes('before');
      });
      // Mid-stream: a publisher keeps going while the server dies.
      let stop = false;
      const failures: unknown[] = [];
      const stream = (async () => {
        for (let i = 0; !stop && i < 10_000; i++) {
          await publisher.publish(message('ticks', `s${i}`)).catch((error: unknown) => failures.push(error));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await service.kill();
      await waitFor('publisher to notice the outage', () => !publisher.connected);
      const started = Date.now();
      const error = await publisher.publish(message('ticks', 'during')).then(() => undefined, (e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(error).toBeInstanceOf(BrokerUnavailableError);
      expect((error as BrokerUnavailableError).code).toBe('FW_ERR_BROKER_UNAVAILABLE');
      await service.restart();
      await waitFor('both to reconnect', () => publisher.connected && subscriber.connected);
      stop = true;
      await stream;
      expect(failures.every((e) => e instanceof BrokerUnavailableError)).toBe(true);
      await waitFor('delivery after the restart', async () => {
        await publisher.publish(message('ticks', 'after')).catch(() => undefined);
        return got.includes('after');
      });
      expect(got).not.toContain('during');
      expect(unhandled).toEqual([]);
    });

    it('subscribe and unsubscribe made during an outage resolve at once and hold once the server is back', async () => {
      service = await kind.start();
      const publisher = make(service.url);
      const subscriber = make(service.url);
      await Promise.all([publisher.ready(), subscriber.ready()]);
      await service.kill();
      await waitFor('the outage to be noticed', () => !subscriber.connected && !publisher.connected);
      const got: string[] = [];
      const late = (m: BrokerMessage): void => void got.push(`late:${text(m.data)}`);
      const churn = (m: BrokerMessage): void => void got.push(`churn:${text(m.data)}`);
      const started = Date.now();
      await subscriber.subscribe('late', late);
      // A topic joined and left many times while offline costs nothing once it is left.
      for (let i = 0; i < 100; i++) {
        await subscriber.subscribe('churn', churn);
        await subscriber.unsubscribe('churn', churn);
      }
      expect(Date.now() - started).toBeLessThan(2000);
      await service.restart();
      await waitFor('reconnection', () => subscriber.connected && publisher.connected);
      await waitFor('a message on the topic joined offline', async () => {
        await publisher.publish(message('churn', 'x')).catch(() => undefined);
        await publisher.publish(message('late', 'x')).catch(() => undefined);
        return got.includes('late:x');
      });
      expect(got.filter((m) => m.startsWith('churn'))).toEqual([]);
      expect(unhandled).toEqual([]);
    });

    it('a message too big for NATS is refused with a RangeError (not an outage); Redis carries 2 MiB', async () => {
      service = await kind.start();
      const a = make(service.url);
      const b = make(service.url);
      await Promise.all([a.ready(), b.ready()]);
      const big: BrokerMessage = { topic: 'big', data: new Uint8Array(2 * 1024 * 1024).fill(7), binary: true, compress: false, origin: 'a' };
      const got: BrokerMessage[] = [];
      await b.subscribe('big', (m) => void got.push(m));
      if (kind.name === 'NatsBroker') {
        await expect(a.publish(big)).rejects.toThrow(RangeError);
      } else {
        await waitFor('the big message', async () => {
          await a.publish(big);
          return got.length > 0;
        });
        expect(got[0]!.data.length).toBe(2 * 1024 * 1024);
      }
      // Still working afterwards.
      await waitFor('a small message', async () => {
        await a.publish(message('big', 'small'));
        return got.some((m) => text(m.data) === 'small');
      });
    });

    it('rejects, never throws, when the server is not there at all, and after close', async () => {
      const broker = make('redis://127.0.0.1:1'.replace('redis', kind.name === 'NatsBroker' ? 'nats' : 'redis'));
      const error = await broker.publish(message('t', 'x')).then(() => undefined, (e: unknown) => e);
      expect((error as BrokerUnavailableError).code).toBe('FW_ERR_BROKER_UNAVAILABLE');
      // A bad message (origin over 255 bytes) is a rejection too, never a synchronous throw.
      const bad = broker.publish({ ...message('t', 'x'), origin: 'o'.repeat(300) });
      await expect(bad).rejects.toThrow(RangeError);
      await broker.close();
      const after = await broker.publish(message('t', 'x')).then(() => undefined, (e: unknown) => e);
      expect((after as BrokerUnavailableError).code).toBe('FW_ERR_BROKER_UNAVAILABLE');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(unhandled).toEqual([]);
    });
  });
}

describe('closed before the server ever answered', () => {
  it('every class lets the process exit, and ready() rejects with FW_ERR_BROKER_UNAVAILABLE', async () => {
    const { execFile } = await import('node:child_process');
    const { freePort } = await import('./services.js');
    const port = await freePort();
    const script = new URL('./fixtures/close-unreached.mjs', import.meta.url).pathname;
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, [script, `redis://127.0.0.1:${port}`, `nats://127.0.0.1:${port}`], { timeout: 20_000 }, (_error, stdout) =>
        resolve({ code: child.exitCode, stdout }),
      );
    });
    expect(result).toEqual({ code: 0, stdout: 'FW_ERR_BROKER_UNAVAILABLE FW_ERR_BROKER_UNAVAILABLE FW_ERR_BROKER_UNAVAILABLE FW_ERR_BROKER_UNAVAILABLE\n' });
  });
});
