import { WebSocketServer, reconnect } from '@framewire/node-adapter';

// An echo server we can stop and start again on the same port.
async function startServer(port) {
  const server = new WebSocketServer({ host: '127.0.0.1', port });
  server.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo: ${data}`)));
  return { server, port: (await server.listen()).port };
}
let { server, port } = await startServer(0);

const client = reconnect(`ws://127.0.0.1:${port}/chat`, {
  initialDelay: 100, // backoff: full jitter in [0, min(maxDelay, initialDelay·2^n)]
  maxDelay: 1000,
  pingInterval: 5000, // 2 missed pongs (maxMissedPongs) and the connection is deemed dead
  onOpen: ({ session }) => session.send('join'), // runs on every (re)connect, before the queue is flushed
});
client.on('online', ({ connection }) => console.log(`online #${connection}`));
client.on('offline', (reason) => console.log(`offline: ${reason.kind} ${reason.code}`));
client.on('message', (data) => console.log(data));
const next = (event) => new Promise((resolve) => client.once(event, resolve));
const echoOf = (text) =>
  new Promise((resolve) => {
    const seen = (data) => data === `echo: ${text}` && (client.off('message', seen), resolve());
    client.on('message', seen);
  });

await next('online');
client.send('hello');
await echoOf('hello');

await server.close(); // the server goes away (1001); the client starts retrying
client.send('sent while offline'); // kept in the bounded offline queue
({ server } = await startServer(port));
await echoOf('sent while offline');

client.close();
console.log('closed:', (await client.closed).cause);
await server.close();
