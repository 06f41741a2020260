import { BunServeUpgrader, accept, connect, isWebSocketRequest } from '@framewire/bun-adapter';

// A Bun.serve app, ported. `server.upgrade(req, { data })` in `fetch` becomes
// the accept hook's `accept({ data })` (async allowed), the `websocket`
// handlers become events on each socket, and `websocket` itself comes from
// the upgrader (Bun's limits set from framewire's options).
const sockets = new BunServeUpgrader({
  path: '/chat',
  accept: async (request) => accept({ data: { name: request.headers.get('x-name') ?? 'anon', from: request.remoteAddress } }),
  maxPayload: 64 * 1024, // Bun: maxPayloadLength
  maxBufferedAmount: 1024 * 1024, // Bun: backpressureLimit; framewire closes with 1008 past it
});
sockets.on('connection', (ws) => {
  ws.subscribe('chat'); // Bun: ws.subscribe
  ws.on('message', (text) => sockets.publish('chat', `${ws.data.name}: ${String(text)}`, { except: ws })); // Bun: ws.publish
  ws.send(`welcome ${ws.data.name} from ${ws.data.from}`);
});
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: (request, srv) => (isWebSocketRequest(request) ? sockets.upgrade(request, srv) : new Response('plain http')),
  websocket: sockets.websocket,
});

const ann = await connect(`ws://127.0.0.1:${server.port}/chat`, { headers: { 'x-name': 'ann' } });
const annHeard: unknown[] = [];
ann.on('message', (text) => annHeard.push(text));
const bob = await connect(`ws://127.0.0.1:${server.port}/chat`, { headers: { 'x-name': 'bob' } });
for await (const text of bob) {
  console.log(text); // welcome bob from 127.0.0.1
  break;
}
bob.send('hi ann');
while (annHeard.length < 2) await Bun.sleep(5);
console.log(annHeard.join('\n')); // welcome ann from 127.0.0.1 / bob: hi ann
await sockets.close({ timeout: 5000 }); // 1001 to every socket; then stop Bun.serve
await server.stop();
