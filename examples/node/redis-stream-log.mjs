import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisStreamLog } from '@framewire/pubsub';

// A throwaway redis-server (point `url` at your own Redis instead).
const probe = createServer().listen(0, '127.0.0.1');
await once(probe, 'listening');
const { port } = probe.address();
probe.close();
const dir = mkdtempSync(join(tmpdir(), 'redis-'));
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });

const log = new RedisStreamLog({ url: `redis://127.0.0.1:${port}`, maxLength: 500 });
await log.ready(); // retries until Redis is up
const text = (s) => new TextEncoder().encode(s);
const lastSeen = await log.append('news', text('seen'), false);
await log.append('news', text('missed one'), false);
await log.append('news', text('missed two'), false);

// A reader that comes back with its last id gets exactly what came after it, oldest first.
const missed = await log.read('news', lastSeen, 100);
console.log(missed.map((m) => new TextDecoder().decode(m.data)));
console.log('ids are Redis stream ids:', log.isId(missed[0].id), log.compare(lastSeen, missed[0].id) < 0);

await log.close();
redis.kill();
rmSync(dir, { recursive: true, force: true });
