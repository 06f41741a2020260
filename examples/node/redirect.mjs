import { WebSocketServer, accept, connect, reject } from '@framewire/node-adapter';

// The service moved from /v1 to /v2: the accept hook answers 308 with the new place.
const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  accept: (request) => (request.path === '/v1' ? reject(308, { headers: { Location: '/v2' } }) : accept()),
});
server.on('connection', (ws, request) => ws.send(`you reached ${request.path}`));
const { port } = await server.listen();

const ws = await connect(`ws://127.0.0.1:${port}/v1`, { followRedirects: true, maxRedirects: 3 });
for await (const message of ws) {
  console.log(message); // you reached /v2
  ws.close(1000);
}
await server.close();
