import { BunServeUpgrader, accept, connect, getQueryParam, isWebSocketRequest, reject } from '@framewire/bun-adapter';

// Bun.serve keeps your HTTP routes; framewire adds the handshake checks, the
// accept hook (async, with per-connection data), limits, topics and shutdown.
const sockets = new BunServeUpgrader({
  path: '/rooms/:room',
  protocols: ['chat'],
  maxPayload: 1 << 20,
  accept: async (request) => {
    const user = getQueryParam(request, 'token') === 'sesame' ? 'ada' : undefined; // a token lookup
    return user === undefined ? reject(401) : accept({ data: { user, room: request.params.room } });
  },
});
sockets.on('connection', (ws) => {
  ws.subscribe(ws.data.room);
  ws.on('message', (text) => sockets.publish(ws.data.room, `${ws.data.user}: ${String(text)}`));
});
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0, // any free port
  fetch: (request, srv) => (isWebSocketRequest(request) ? sockets.upgrade(request, srv) : new Response('hello')),
  websocket: sockets.websocket,
});

console.log(await (await fetch(`http://127.0.0.1:${server.port}/`)).text()); // hello
const ws = await connect(`ws://127.0.0.1:${server.port}/rooms/lobby?token=sesame`, { protocols: ['chat'] });
console.log(ws.protocol); // chat
ws.send('hi all');
for await (const message of ws) {
  console.log(message); // ada: hi all
  break;
}
const closed = ws.closed;
await sockets.close({ timeout: 5000 }); // 1001 to every socket
console.log((await closed).code); // 1001
await server.stop();
