// `pnpm start --cluster N` without a browser: the argument checks, the
// message when redis-server is missing, and `--redis URL` pointing at a
// Redis the test runs (real redis-server on a free port): two WebSocket
// clients on different node:cluster workers chat across them, Redis killed
// and restarted under them (nothing crashes, the chat crosses again), and
// SIGTERM stops the demo's processes but leaves the given Redis alone.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, type Session } from '@framewire/node-adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type Service } from '../../../packages/pubsub/test/services.js';
import { startDemo, type DemoProcess } from './demo-server.js';
import { alive, processTree } from './process-tree.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Run scripts/start.mjs expecting it to exit by itself. */
function startScript(args: string[], env: Record<string, string> = {}): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, ['scripts/start.mjs', ...args], { cwd: root, env: { ...process.env, PORT: '0', ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('pnpm start --cluster: refused arguments', () => {
  it.each([['0'], ['65'], ['two'], ['1.5'], ['-1']])('--cluster %s exits 2 saying the range', (value) => {
    const { status, output } = startScript([`--cluster=${value}`]);
    expect(status).toBe(2);
    expect(output).toContain('--cluster takes a number of processes from 1 to 64');
  });

  it('--redis without --cluster, and a --redis that is not a redis:// URL, exit 2', () => {
    expect(startScript(['--redis', 'redis://127.0.0.1:1'])).toMatchObject({ status: 2, output: expect.stringContaining('--redis is for --cluster N') });
    expect(startScript(['--cluster', '2', '--redis', 'http://x'])).toMatchObject({ status: 2, output: expect.stringContaining('--redis takes a redis:// URL') });
  });

  it('without redis-server it exits 1 saying how to install it or to pass --redis', () => {
    const { status, output } = startScript(['--cluster', '2'], { FW_REDIS_SERVER: '/nonexistent/redis-server' });
    expect(status).toBe(1);
    expect(output).toMatch(/not found: install it \(Debian\/Ubuntu: sudo apt-get install redis-server.*or pass --redis redis:\/\/HOST:PORT/);
  });
});

/** A chat client that keeps what it receives. */
interface Member {
  readonly ws: Session;
  readonly messages: Array<Record<string, unknown>>;
  readonly worker: number;
}

async function join(url: string): Promise<Member> {
  const ws = await connect(url);
  const messages: Array<Record<string, unknown>> = [];
  const hello = new Promise<Record<string, unknown>>((resolve) => {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      messages.push(message);
      if (message['type'] === 'hello') resolve(message);
    });
  });
  const { servedBy } = (await hello) as { servedBy: { worker: number } };
  return { ws, messages, worker: servedBy.worker };
}

async function until(check: () => boolean, what: string, timeout = 15_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('pnpm start --cluster 2 --redis URL (node)', () => {
  let redis: Service;
  let demo: DemoProcess;
  const members: Member[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    demo = await startDemo('node', 60_000, ['--cluster', '2', '--redis', redis.url]);
  });

  afterAll(async () => {
    for (const member of members) member.ws.terminate();
    if (demo !== undefined && alive([demo.pid]).length > 0) await demo.stop();
    await redis?.stop();
  });

  it('spreads connections over both workers, carries chat across them and counts every member', async () => {
    const chat = demo.url.replace(/^http/, 'ws') + 'chat';
    // Bounded: node:cluster hands connections round-robin, so two or three suffice.
    for (let tries = 0; tries < 20 && new Set(members.map((m) => m.worker)).size < 2; tries++) members.push(await join(chat));
    const a = members[0]!;
    const b = members.find((member) => member.worker !== a.worker);
    expect(b, 'no connection landed on the second worker').toBeDefined();
    const lastOnline = (member: Member): unknown => member.messages.filter((m) => m['type'] === 'presence' || m['type'] === 'stats').at(-1)?.['online'];
    await until(() => lastOnline(a) === members.length && lastOnline(b!) === members.length, `online ${members.length} on both`);

    a.ws.send(JSON.stringify({ name: 'a', text: 'across the cluster' }));
    await until(() => b!.messages.some((m) => m['type'] === 'chat'), 'the line on the other worker');
    expect(b!.messages.find((m) => m['type'] === 'chat')).toMatchObject({ type: 'chat', name: 'a', text: 'across the cluster', servedBy: { worker: a.worker } });
  });

  it('survives Redis going away: local chat goes on, and across the workers again once Redis is back', async () => {
    const a = members[0]!;
    const b = members.find((member) => member.worker !== a.worker)!;
    const sameWorker = members.find((member) => member !== a && member.worker === a.worker);
    const got = (member: Member, text: string): boolean => member.messages.some((m) => m['type'] === 'chat' && m['text'] === text);
    await redis.kill();
    a.ws.send(JSON.stringify({ name: 'a', text: 'during the outage' }));
    await until(() => got(a, 'during the outage'), 'the line back on its own worker');
    if (sameWorker !== undefined) await until(() => got(sameWorker, 'during the outage'), 'the line on the same worker');
    expect(alive(processTree(demo.pid)).length).toBeGreaterThanOrEqual(4); // nothing crashed

    await redis.restart();
    // The broker resubscribes by itself; send until a line crosses again (bounded).
    for (let i = 0; i < 100 && !b.messages.some((m) => String(m['text']).startsWith('after the outage')); i++) {
      a.ws.send(JSON.stringify({ name: 'a', text: `after the outage ${i}` }));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(b.messages.some((m) => String(m['text']).startsWith('after the outage')), 'no line crossed after Redis came back').toBe(true);
    expect(b.messages.some((m) => m['text'] === 'during the outage')).toBe(false); // at most once: lost, not replayed
  });

  it('SIGTERM stops the demo (exit 0, no process left) and leaves the given Redis running', async () => {
    const tree = processTree(demo.pid);
    expect(tree.length).toBeGreaterThanOrEqual(4); // start script, primary, two workers
    expect(demo.output()).not.toMatch(/redis-server \(pid/);
    expect(await demo.stop()).toBe(0);
    await until(() => alive(tree).length === 0, 'every demo process gone', 10_000);
    const ping = spawnSync('redis-cli', ['-p', String(redis.port), 'ping'], { encoding: 'utf8' });
    if (ping.error === undefined) expect(ping.stdout.trim()).toBe('PONG');
  });
});
