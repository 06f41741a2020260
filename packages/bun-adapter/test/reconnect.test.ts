// Bun-only check of reconnect(): a client waiting out a backoff delay keeps
// the process alive (the adapter's own timers are unref'ed). The behaviour
// on every runtime is in the shared suite (codec/test/adapter-behaviour/reconnect.suite.ts).
import { expect, it } from 'bun:test';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

it('a client waiting out a backoff delay keeps the process alive until it gives up', async () => {
  const port = await closedPort();
  const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const script = `
    const { reconnect } = await import(${JSON.stringify(entry)});
    const client = reconnect('ws://127.0.0.1:${port}/', { initialDelay: 150, factor: 1, maxAttempts: 3, random: () => 0.99 });
    client.on('error', () => {});
    client.on('reconnecting', ({ attempt }) => console.log('reconnecting', attempt));
    client.on('close', ({ cause }) => console.log('close', cause));
  `;
  const child = Bun.spawn([process.execPath, '-e', script], { stdout: 'pipe', stderr: 'inherit' });
  const timer = setTimeout(() => child.kill(), 30_000);
  const out = await new Response(child.stdout).text();
  clearTimeout(timer);
  expect(await child.exited).toBe(0);
  expect(out.trim().split('\n')).toEqual(['reconnecting 1', 'reconnecting 2', 'reconnecting 3', 'close attempts-exhausted']);
}, 40_000);
