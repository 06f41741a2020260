// The floor of fan-out on Node: no WebSocket library at all. Subscribers get
// a hand-written 101 answer, then each publish frames the message once into
// one Buffer and calls `socket.write` with that same Buffer on every socket.
// Whatever framewire or ws spends above this row is their own cost; this
// row is what N write calls cost. Path /control takes the commands of
// fanout-control.mjs (through ws, off the measured path).
// Usage: node --expose-gc bench/servers/fanout-floor.mjs --port N   (prints READY)
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { runControl } from './fanout-control.mjs';

const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** topic → sockets, the same shape as the ws loop's map. */
const topics = new Map();
const join = (socket, topic) => {
  let set = topics.get(topic);
  if (set === undefined) topics.set(topic, (set = new Set()));
  set.add(socket);
};
const leave = (socket, topic) => {
  const set = topics.get(topic);
  set?.delete(socket);
  if (set?.size === 0) topics.delete(topic);
};
const subscribers = new Set();

/** One unmasked, final binary frame (the bench's payloads are < 64 KiB). */
function frame(payload) {
  const small = payload.length < 126;
  const out = Buffer.allocUnsafe((small ? 2 : 4) + payload.length);
  out[0] = 0x82;
  if (small) out[1] = payload.length;
  else {
    out[1] = 126;
    out.writeUInt16BE(payload.length, 2);
  }
  out.set(payload, small ? 2 : 4);
  return out;
}

const control = {
  publish(payload) {
    const bytes = frame(payload);
    for (const socket of topics.get('bench') ?? []) if (socket.writable) socket.write(bytes);
  },
  subscribers: () => subscribers.size,
  subscribeAll: (names) => {
    for (const socket of subscribers) for (const topic of names) join(socket, topic);
  },
  unsubscribeAll: (names) => {
    for (const socket of subscribers) for (const topic of names) leave(socket, topic);
  },
};

const controlServer = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const server = createServer((_request, response) => response.writeHead(426).end());
server.on('upgrade', (request, socket, head) => {
  if (request.url === '/control') {
    controlServer.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', async (text) => ws.send(JSON.stringify(await runControl(String(text), control))));
    });
    return;
  }
  const key = request.headers['sec-websocket-key'];
  if (typeof key !== 'string') return socket.destroy();
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.setNoDelay(true);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  socket.on('error', () => {});
  socket.on('data', () => {}); // the subscribers send nothing but a close at the end
  subscribers.add(socket);
  join(socket, 'bench');
  socket.on('close', () => {
    subscribers.delete(socket);
    for (const [topic] of topics) leave(socket, topic);
  });
});
server.listen(port, '127.0.0.1', () => console.log('READY'));
process.on('SIGTERM', () => process.exit(0));
