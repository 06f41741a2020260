import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@framewire/node-adapter';

// A throwaway redis-server on a free port (point --redis at your own Redis instead).
const probe = createServer().listen(0, '127.0.0.1');
await once(probe, 'listening');
const redisPort = probe.address().port;
probe.close();
const dir = mkdtempSync(join(tmpdir(), 'redis-'));
const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });

// Two hub processes on the same Redis, as `npx framewire hub --redis URL` would start them.
const bin = new URL('../../packages/cli/bin/framewire.mjs', import.meta.url).pathname;
function startHub() {
  const hub = spawn(process.execPath, [bin, 'hub', '--port', '0', '--quiet', '--redis', `redis://127.0.0.1:${redisPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = new Promise((resolve) => {
    hub.stderr.on('data', (chunk) => {
      log += chunk;
      if (/^READY$/m.test(log)) resolve(Number(/127\.0\.0\.1:(\d+)\/topics/.exec(log)[1]));
    });
  });
  return { hub, port };
}
const a = startHub();
const b = startHub();
const [portA, portB] = await Promise.all([a.port, b.port]);
// Both hubs wait for Redis by themselves; /healthz says when they have it.
for (const port of [portA, portB]) {
  while ((await fetch(`http://127.0.0.1:${port}/healthz`)).status !== 200) await new Promise((r) => setTimeout(r, 100));
}

// Subscribe on hub A...
const subscriber = await connect(`ws://127.0.0.1:${portA}/topics/news`, { protocols: ['framewire.v1'] });
const messages = [];
subscriber.on('message', (data) => messages.push(JSON.parse(data)));
const publish = (text) =>
  fetch(`http://127.0.0.1:${portB}/topics/news`, { method: 'POST', body: text, headers: { 'Content-Type': 'text/plain' } }).then((r) => r.json());
// A joins Redis's channel asynchronously: ping from B until A hears one.
while (messages.length === 0) {
  await publish('ping');
  await new Promise((r) => setTimeout(r, 100));
}
// ...publish on hub B: A delivers it with the id B answered.
const { id } = await publish('hello from B');
while (!messages.some((m) => m.data === 'hello from B')) await new Promise((r) => setTimeout(r, 20));
const envelope = messages.find((m) => m.data === 'hello from B');
console.log('subscriber on A got:', envelope.data);
console.log('same id on both hubs:', envelope.id === id);

// History lives in Redis, so either hub answers it.
const history = await fetch(`http://127.0.0.1:${portA}/topics/news/history?limit=1`).then((r) => r.json());
console.log('history on A:', history.map((m) => m.data));

subscriber.close();
a.hub.kill('SIGTERM');
b.hub.kill('SIGTERM');
await Promise.all([once(a.hub, 'exit'), once(b.hub, 'exit')]);
redis.kill();
await once(redis, 'exit');
rmSync(dir, { recursive: true, force: true });
