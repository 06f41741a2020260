// Node-only checks of reconnect(): its types (resume mode delivers HubMessage),
// maxAttempts against a closed port, and close() during backoff leaving no
// timer behind (Node can list its active timers). The behaviour on every
// runtime is in the shared suite (codec/test/adapter-behaviour/reconnect.suite.ts).
import { execFile } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ReconnectingClient, WebSocketServer, reconnect, reject, type ConnectOptions, type HubMessage, type SessionMessage } from '../src/index.js';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('reconnect() on Node', () => {
  it('is typed by mode: decoded HubMessage with resume, the session message otherwise', async () => {
    const port = await closedPort();
    const plain = reconnect(`ws://127.0.0.1:${port}/`, { maxAttempts: 0 });
    const hub = reconnect(`ws://127.0.0.1:${port}/topics/t`, { resume: 'framewire.v1', maxAttempts: 0 });
    expect(plain).toBeInstanceOf(ReconnectingClient);
    expectTypeOf(plain).toEqualTypeOf<ReconnectingClient<SessionMessage, ConnectOptions>>();
    hub.on('message', (message) => expectTypeOf(message).toEqualTypeOf<HubMessage>());
    expect((await plain.closed).cause).toBe('attempts-exhausted');
    expect((await hub.closed).cause).toBe('attempts-exhausted');
  });

  it('close() during backoff clears the timer: no Timeout is left and no attempt follows', async () => {
    let upgrades = 0;
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, accept: () => (upgrades++, reject(503)) });
    const { port } = await server.listen();
    const before = timers();
    const client = reconnect(`ws://127.0.0.1:${port}/`, { initialDelay: 60_000, maxDelay: 60_000, random: () => 0.99, pingInterval: 0 });
    client.on('error', () => {});
    await new Promise((resolve) => client.once('reconnecting', resolve));
    expect(client.state).toBe('waiting');
    expect(timers()).toBeGreaterThan(before);
    client.close();
    expect(client.state).toBe('closed');
    expect(timers()).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(upgrades).toBe(1);
    await server.close();
  });

  it('a client waiting out a backoff delay keeps the process alive until it gives up', async () => {
    const port = await closedPort();
    const script = `
      const { reconnect } = await import('@framewire/node-adapter');
      const client = reconnect('ws://127.0.0.1:${port}/', { initialDelay: 150, factor: 1, maxAttempts: 3, random: () => 0.99 });
      client.on('error', () => {});
      client.on('reconnecting', ({ attempt }) => console.log('reconnecting', attempt));
      client.on('close', ({ cause }) => console.log('close', cause));
    `;
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { cwd, timeout: 30_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(out.trim().split('\n')).toEqual(['reconnecting 1', 'reconnecting 2', 'reconnecting 3', 'close attempts-exhausted']);
  });
});
