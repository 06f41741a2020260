import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from '@framewire/node-adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './helpers.js';
import { startNats, startRedis, type Service } from './services.js';

const script = fileURLToPath(new URL('./fixtures/broker-server.mjs', import.meta.url));

interface ServerProcess {
  readonly port: number;
  publish(topic: string, text: string): void;
  readonly child: ChildProcess;
  /** What it wrote on stderr so far (its onBrokerError lines). */
  stderr(): string;
}

async function startServer(kind: 'redis' | 'nats', url: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [script, kind, url], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${stderr}`)), 20_000);
    lines.on('line', (line) => {
      if (line.startsWith('READY ')) {
        clearTimeout(timer);
        resolve(Number(line.slice(6)));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${stderr}`));
    });
  });
  return { port, child, publish: (topic, text) => child.stdin!.write(`publish ${topic} ${text}\n`), stderr: () => stderr };
}

for (const kind of ['redis', 'nats'] as const) {
  describe(`two node processes on one ${kind === 'redis' ? 'RedisBroker' : 'NatsBroker'}`, () => {
    let service: Service | undefined;
    const children: ChildProcess[] = [];
    afterEach(async () => {
      for (const child of children.splice(0)) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
      await service?.stop();
      service = undefined;
    });

    it('a WebSocket subscriber on server A gets server.publish made on server B, in order, exactly once', async () => {
      service = kind === 'redis' ? await startRedis() : await startNats();
      const a = await startServer(kind, service.url);
      const b = await startServer(kind, service.url);
      children.push(a.child, b.child);
      const ws = await connect(`ws://127.0.0.1:${a.port}/news`);
      const got: string[] = [];
      ws.on('message', (data: unknown) => got.push(String(data)));
      await waitFor('subscribed', () => got.includes('subscribed'));
      // A's broker subscription is made asynchronously: publish from B until it comes through.
      let probes = 0;
      await waitFor('the first message from B', async () => {
        b.publish('news', `probe${probes++}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return got.some((m) => m.startsWith('probe'));
      });
      b.publish('news', 'sync');
      await waitFor('sync', () => got.includes('sync'));
      got.length = 0;
      for (let i = 0; i < 100; i++) b.publish('news', `m${i}`);
      b.publish('elsewhere', 'not for news');
      await waitFor('100 messages', () => got.length >= 100);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
      ws.close();
    });

    it('SIGKILL of the broker mid-stream: both servers live on, publishes fail into onBrokerError, delivery resumes after a restart', async () => {
      service = kind === 'redis' ? await startRedis() : await startNats();
      const a = await startServer(kind, service.url);
      const b = await startServer(kind, service.url);
      children.push(a.child, b.child);
      const ws = await connect(`ws://127.0.0.1:${a.port}/news`);
      const got: string[] = [];
      ws.on('message', (data: unknown) => got.push(String(data)));
      await waitFor('subscribed', () => got.includes('subscribed'));
      let probes = 0;
      await waitFor('the first message from B', async () => {
        b.publish('news', `probe${probes++}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return got.some((m) => m.startsWith('probe'));
      });
      // Mid-stream: B keeps publishing while the broker dies.
      let sent = 0;
      const stream = setInterval(() => b.publish('news', `s${sent++}`), 10);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await service.kill();
      await waitFor('B to report the outage', () => b.stderr().includes('broker error: FW_ERR_BROKER_UNAVAILABLE'));
      await service.restart();
      const before = got.length;
      await waitFor('a message after the restart', () => got.slice(before).some((m) => m.startsWith('s')), 30_000);
      clearInterval(stream);
      expect(a.child.exitCode).toBeNull();
      expect(b.child.exitCode).toBeNull();
      // The WebSocket never dropped: the outage cost messages, not the connection.
      expect(ws.readyState).toBe(1);
      ws.close();
    });
  });
}
