import { PROMETHEUS_CONTENT_TYPE, WebSocketServer, accept, connect, formatPrometheus, reject } from '@framewire/deno-adapter';

// The hook looks the token up once; the session carries the result as typed `ws.data`.
const users = new Map([['t1', 'ann'], ['t2', 'bob']]);
const echo = new WebSocketServer({ path: '/echo' }); // shares the rooms server's port (below)
echo.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
const rooms = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  path: '/rooms/:room', // request.params.room
  routes: [echo], // other servers on this port, chosen by path; any other path gets 404
  accept: async (request) => {
    const user = users.get(new URLSearchParams(request.query).get('token') ?? '');
    return user === undefined ? reject(401) : accept({ data: { user, room: request.params.room } });
  },
  fetch: (request) => metricsPage(request), // plain HTTP on the same port
});
rooms.on('connection', (ws, request) => {
  console.log(`${ws.data.user} joined ${ws.data.room} from ${request.remoteAddress}`);
  ws.subscribe(ws.data.room);
  ws.on('message', (text) => rooms.publish(ws.data.room, `${ws.data.user}: ${String(text)}`));
});

function metricsPage(request: Request): Response {
  if (new URL(request.url).pathname !== '/metrics') return new Response('not found', { status: 404 });
  return new Response(formatPrometheus(rooms.metrics()), { headers: { 'content-type': PROMETHEUS_CONTENT_TYPE } });
}

const { port } = await rooms.listen();
const ann = await connect(`ws://127.0.0.1:${port}/rooms/lobby?token=t1`);
const bob = await connect(`ws://127.0.0.1:${port}/rooms/lobby?token=t2`);
const heard = new Promise((resolve) => bob.once('message', resolve));
ann.send('hello');
console.log('bob heard', await heard);

const e = await connect(`ws://127.0.0.1:${port}/echo`);
e.send('ping');
console.log('echo says', await new Promise((resolve) => e.once('message', resolve)));
await connect(`ws://127.0.0.1:${port}/elsewhere`).catch((error) => console.log('elsewhere:', error.status));

const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
for (const line of text.split('\n')) if (/^framewire_(connections_accepted|messages_received)_total /.test(line)) console.log(line);
for (const ws of [ann, bob, e]) ws.close();
await Promise.all([rooms.close(), echo.close()]);
