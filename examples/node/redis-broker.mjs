import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, connect } from '@framewire/node-adapter';
import { RedisBroker } from '@framewire/pubsub';

// A throwaway redis-server (point `url` at your own Redis instead).
const probe = createServer().listen(0, '127.0.0.1');
await once(probe, 'listening');
const { port } = probe.address();
probe.close();
const dir = mkdtempSync(join(tmpdir(), 'redis-'));
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;

// Two servers, as if in two processes: each has its own broker on the same Redis.
const brokerA = new RedisBroker({ url });
const brokerB = new RedisBroker({ url });
await Promise.all([brokerA.ready(), brokerB.ready()]); // retries until Redis is up
const onBrokerError = (error) => console.error(error.message);
const a = new WebSocketServer({ host: '127.0.0.1', port: 0, broker: brokerA, onBrokerError });
const b = new WebSocketServer({ host: '127.0.0.1', port: 0, broker: brokerB, onBrokerError });
a.on('connection', (ws) => ws.subscribe('news'));
const { port: portA } = await a.listen();

const subscriber = await connect(`ws://127.0.0.1:${portA}/`);
const received = new Promise((resolve) => subscriber.once('message', resolve));
// A subscribes on Redis asynchronously: B publishes until the first message lands.
const timer = setInterval(() => b.publish('news', 'hello from B'), 50);
console.log('subscriber on A got:', String(await received));
clearInterval(timer);

// No Redis, no buffering: a publish fails at once with a stable code (servers report it to onBrokerError).
await brokerB.close();
await brokerB.publish({ topic: 'news', data: new Uint8Array(), binary: false, compress: false, origin: 'b' }).catch((error) => console.log(error.code));

subscriber.close();
await a.close();
await b.close();
await brokerA.close();
redis.kill();
rmSync(dir, { recursive: true, force: true });
