import { WebSocketServer, connect } from '@framewire/node-adapter';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('connection', (ws) => ws.subscribe('log'));
const { port } = await server.listen();

const a = await connect(`ws://127.0.0.1:${port}/`);
const b = await connect(`ws://127.0.0.1:${port}/`);
const three = (ws) => new Promise((resolve) => {
  const got = [];
  ws.on('message', (data) => got.push(String(data)) === 3 && resolve(got));
});
const both = Promise.all([three(a), three(b)]);

// A burst (the lines of one read, say): framed once into one buffer, one write per subscriber,
// the same bytes as three publish() calls.
while (server.subscriberCount('log') < 2) await new Promise((resolve) => setTimeout(resolve, 5));
console.log('queued:', server.publishBatch('log', ['line 1', 'line 2', 'line 3'])); // 3 messages × 2 subscribers
const [gotA, gotB] = await both;
console.log('a got:', gotA.join(' | '));
console.log('b got:', gotB.join(' | '));

a.close();
b.close();
await server.close();
