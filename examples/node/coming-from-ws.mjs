import { createServer } from 'node:http';
import { once } from 'node:events';
import { WebSocketServer, accept, connect, reject } from '@framewire/node-adapter';

// A `ws` app, ported: `new WebSocketServer({ server, path, verifyClient })`
// becomes `{ server, path, accept }`, and the hook's `data` replaces the
// `req.user = …` you used to attach in verifyClient.
const http = createServer((req, res) => res.end('plain http'));
const wss = new WebSocketServer({
  server: http,
  path: '/live',
  accept: async (request) => (request.headers.get('authorization') === 'Bearer sesame' ? accept({ data: { user: 'ada' } }) : reject(401)),
  // ws: the "isAlive" ping/pong interval by hand; here it is on by default (30 s, dropped after 2 missed pongs).
  heartbeat: { interval: 30_000, timeout: 60_000 },
});
wss.on('connection', (ws) => {
  ws.subscribe('all'); // ws: wss.clients.forEach(c => c.readyState === OPEN && c.send(...)); here: topics
  ws.on('message', (data, isBinary) => wss.publish('all', `${ws.data.user}: ${data}`, { binary: isBinary }));
});
http.listen(0, '127.0.0.1');
await once(http, 'listening');
const { port } = http.address();

const refused = await connect(`ws://127.0.0.1:${port}/live`).catch((error) => error.status);
console.log('without a token:', refused); // without a token: 401
const ws = await connect(`ws://127.0.0.1:${port}/live`, { headers: { authorization: 'Bearer sesame' } });
ws.send('hello');
const [message] = await once(ws, 'message');
console.log(message); // ada: hello
const closed = ws.closed;
await wss.close({ timeout: 5000 }); // ws: wss.close() + terminate each client; here 1001 to each, then wait
console.log('client saw', (await closed).code); // client saw 1001
http.close();
