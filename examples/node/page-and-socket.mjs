import { WebSocketServer, connect } from '@framewire/node-adapter';

// One port for a page and its WebSocket, without node:http: the server reads
// every request head itself; what is not an upgrade goes to `fetch`.
const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  fetch: (request) => new Response(`<h1>hello from ${new URL(request.url).pathname}</h1>`, { headers: { 'content-type': 'text/html' } }),
});
server.on('connection', (ws) => ws.send('welcome'));
const { port } = await server.listen();

console.log(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()); // <h1>hello from /index.html</h1>
const ws = await connect(`ws://127.0.0.1:${port}/live`);
for await (const message of ws) {
  console.log(message); // welcome
  ws.close(1000);
}
await server.close();
