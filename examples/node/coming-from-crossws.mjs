import { createServer } from 'node:http';
import { once } from 'node:events';
import { WebSocketServer, accept, connect, reject } from '@framewire/node-adapter';

// A crossws app, ported. crossws's `upgrade(request)` hook (throw a Response
// to refuse, set `request.context`) is the accept hook (`reject(status)`,
// `accept({ data })`); `open`/`message`/`close` are the connection's events;
// `peer.context` is `ws.data`; `peer.publish(topic, …)` (everyone but the
// sender) is `server.publish(topic, …, { except: ws })`.
const http = createServer((req, res) => res.end('plain http'));
const chat = new WebSocketServer({
  server: http,
  path: '/_ws',
  accept: (request) => {
    const name = new URLSearchParams(request.query).get('name');
    return name === null ? reject(400, { body: 'name required' }) : accept({ data: { name } });
  },
});
chat.on('connection', (ws) => {
  // open(peer)
  ws.subscribe('chat');
  chat.publish('chat', `${ws.data.name} joined`, { except: ws });
  // message(peer, message): message.text() is the string itself here
  ws.on('message', (text) => chat.publish('chat', `${ws.data.name}: ${text}`, { except: ws }));
  // close(peer, { code, reason })
  ws.on('close', ({ code }) => chat.publish('chat', `${ws.data.name} left (${code})`));
});
http.listen(0, '127.0.0.1');
await once(http, 'listening');
const { port } = http.address();

const ann = await connect(`ws://127.0.0.1:${port}/_ws?name=ann`);
const heard = [];
ann.on('message', (text) => heard.push(text));
const bob = await connect(`ws://127.0.0.1:${port}/_ws?name=bob`);
await once(ann, 'message'); // bob joined
bob.send('hi ann');
await once(ann, 'message');
bob.close(1000);
await once(ann, 'message');
console.log(heard.join('\n')); // bob joined / bob: hi ann / bob left (1000)
await chat.close({ timeout: 5000 });
http.close();
