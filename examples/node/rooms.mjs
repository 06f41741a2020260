import { createServer } from 'node:http';
import { once } from 'node:events';
import { PROMETHEUS_CONTENT_TYPE, WebSocketServer, accept, connect, formatPrometheus, reject } from '@framewire/node-adapter';

// Plain HTTP and /metrics on the same port as the WebSocket servers.
const http = createServer((req, res) => {
  if (req.url !== '/metrics') return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(formatPrometheus(rooms.metrics()));
});
// The hook looks the token up once; the session carries the result as `ws.data`.
const users = new Map([['t1', 'ann'], ['t2', 'bob']]);
const rooms = new WebSocketServer({
  server: http,
  path: '/rooms/:room', // request.params.room
  accept: async (request) => {
    const user = users.get(new URLSearchParams(request.query).get('token') ?? '');
    return user === undefined ? reject(401) : accept({ data: { user, room: request.params.room } });
  },
});
rooms.on('connection', (ws, request) => {
  console.log(`${ws.data.user} joined ${ws.data.room} from ${request.remoteAddress}`);
  ws.subscribe(ws.data.room);
  ws.on('message', (text) => rooms.publish(ws.data.room, `${ws.data.user}: ${text}`));
});
const echo = new WebSocketServer({ server: http, path: '/echo' }); // a second server, routed by path
echo.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
http.listen(0, '127.0.0.1');
await once(http, 'listening');
const { port } = http.address();

const ann = await connect(`ws://127.0.0.1:${port}/rooms/lobby?token=t1`);
const bob = await connect(`ws://127.0.0.1:${port}/rooms/lobby?token=t2`);
const heard = once(bob, 'message');
ann.send('hello');
console.log('bob heard', String((await heard)[0]));

const e = await connect(`ws://127.0.0.1:${port}/echo`);
e.send('ping');
console.log('echo says', String((await once(e, 'message'))[0]));
await connect(`ws://127.0.0.1:${port}/elsewhere`).catch((error) => console.log('elsewhere:', error.status));

const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
for (const line of text.split('\n')) if (/^framewire_(connections_accepted|messages_received)_total /.test(line)) console.log(line);
for (const ws of [ann, bob, e]) ws.close();
await Promise.all([rooms.close(), echo.close()]);
http.close();
