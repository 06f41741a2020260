import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JetStreamLog } from '@framewire/pubsub';

// A throwaway nats-server with JetStream (point `servers` at your own NATS instead).
const probe = createServer().listen(0, '127.0.0.1');
await once(probe, 'listening');
const { port } = probe.address();
probe.close();
const dir = mkdtempSync(join(tmpdir(), 'nats-'));
const nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], {
  stdio: 'ignore',
  env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` }, // where Debian puts nats-server
});

// Stream "framewire", subjects "framewire.>", at most 500 messages per topic.
const log = new JetStreamLog({ servers: `nats://127.0.0.1:${port}`, maxLength: 500 });
await log.ready(); // retries until NATS is up, then creates the stream
const text = (s) => new TextEncoder().encode(s);
const lastSeen = await log.append('news', text('seen'), false);
await log.append('sports', text('other topic'), false);
await log.append('news', text('missed'), false);

console.log('ids are stream sequence numbers:', lastSeen);
console.log((await log.read('news', lastSeen, 100)).map((m) => `${m.id} ${new TextDecoder().decode(m.data)}`));
console.log('newest 1:', (await log.read('news', undefined, 1)).map((m) => m.id));

await log.close();
nats.kill();
rmSync(dir, { recursive: true, force: true });
