import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { WebSocketServer, connect } from '@framewire/node-adapter';
import { NatsBroker } from '@framewire/pubsub';

// A throwaway nats-server (point `servers` at your own NATS instead).
const probe = createServer().listen(0, '127.0.0.1');
await once(probe, 'listening');
const { port } = probe.address();
probe.close();
const nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], {
  stdio: 'ignore',
  env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` }, // where Debian puts nats-server
});
const servers = `nats://127.0.0.1:${port}`;

// Two servers, as if in two processes: each has its own broker on the same NATS.
const brokerA = new NatsBroker({ servers });
const brokerB = new NatsBroker({ servers });
await Promise.all([brokerA.ready(), brokerB.ready()]); // retries until NATS is up
const onBrokerError = (error) => console.error(error.message);
const a = new WebSocketServer({ host: '127.0.0.1', port: 0, broker: brokerA, onBrokerError });
const b = new WebSocketServer({ host: '127.0.0.1', port: 0, broker: brokerB, onBrokerError });
a.on('connection', (ws) => ws.subscribe('chat.room 1')); // any topic name: it is escaped into one subject token
const { port: portA } = await a.listen();

const subscriber = await connect(`ws://127.0.0.1:${portA}/`);
const received = new Promise((resolve) => subscriber.once('message', resolve));
// A subscribes on NATS asynchronously: B publishes until the first message lands.
const timer = setInterval(() => b.publish('chat.room 1', 'hello from B'), 50);
console.log('subscriber on A got:', String(await received));
clearInterval(timer);

subscriber.close();
await a.close();
await b.close();
await brokerA.close();
await brokerB.close();
nats.kill();
