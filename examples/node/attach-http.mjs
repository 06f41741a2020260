import { createServer } from 'node:http';
import { once } from 'node:events';
import { WebSocketServer, connect } from '@framewire/node-adapter';

const http = createServer((req, res) => res.end('hello'));
const chat = new WebSocketServer({ server: http, path: '/chat' });
const feed = new WebSocketServer({ server: http, path: ['/feed', '/feed/v2'] });
chat.on('connection', (ws) => ws.send('welcome'));
http.listen(0, '127.0.0.1'); // port 0: any free port
await once(http, 'listening');
const { port } = http.address();

console.log(await (await fetch(`http://127.0.0.1:${port}/`)).text()); // hello: plain HTTP still works
const ws = await connect(`ws://127.0.0.1:${port}/chat`);
for await (const message of ws) {
  console.log(message); // welcome
  ws.close(1000);
}
await Promise.all([chat.close(), feed.close()]);
http.close();
