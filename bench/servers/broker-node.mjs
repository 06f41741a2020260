// One framewire WebSocketServer on a shared broker, for bench/broker-latency.mjs.
//   node broker-node.mjs redis|nats|none URL
// Clients subscribe to the topic named by their path. stdin line `stamp TOPIC COUNT GAP_MS TAG` publishes COUNT
// messages `TAG I NS`, GAP_MS apart, each carrying process.hrtime.bigint() as NS (CLOCK_MONOTONIC: one clock for every process
// of the machine) taken just before server.publish; prints `STAMPED` when done. Prints `READY <port>` first.
import { createInterface } from 'node:readline';
import { WebSocketServer } from '@framewire/node-adapter';
import { NatsBroker, RedisBroker } from '@framewire/pubsub';

const [kind, url] = process.argv.slice(2);
const broker = kind === 'redis' ? new RedisBroker({ url }) : kind === 'nats' ? new NatsBroker({ servers: url }) : undefined;
await broker?.ready();
const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: false,
  ...(broker !== undefined ? { broker, onBrokerError: (error) => process.stderr.write(`broker error: ${error.message}\n`) } : {}),
});
server.on('connection', (ws, request) => {
  ws.subscribe(request.path.slice(1));
  ws.send('subscribed');
});
const { port } = await server.listen();
console.log(`READY ${port}`);
for await (const line of createInterface({ input: process.stdin })) {
  const [command, topic, count, gap, tag] = line.split(' ');
  if (command !== 'stamp') continue;
  for (let i = 0; i < Number(count); i++) {
    server.publish(topic, `${tag} ${i} ${process.hrtime.bigint()}`);
    await new Promise((resolve) => setTimeout(resolve, Number(gap)));
  }
  console.log('STAMPED');
}
await server.close();
await broker?.close();
