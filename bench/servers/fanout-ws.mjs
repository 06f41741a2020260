// The ws baseline for fan-out: what users of ws write today, a loop over the
// subscribers of a topic calling `send` on each (every send frames the
// message again). Path /control takes the commands of fanout-control.mjs.
// Usage: node --expose-gc bench/servers/fanout-ws.mjs --port N   (prints READY)
import { WebSocketServer } from 'ws';
import { runControl } from './fanout-control.mjs';

const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
/** topic → its subscribers: the map an application keeps beside ws. */
const topics = new Map();
const join = (ws, topic) => {
  let set = topics.get(topic);
  if (set === undefined) topics.set(topic, (set = new Set()));
  set.add(ws);
};
const leave = (ws, topic) => {
  const set = topics.get(topic);
  set?.delete(ws);
  if (set?.size === 0) topics.delete(topic);
};
const subscribers = new Set();
const control = {
  publish(payload) {
    for (const ws of topics.get('bench') ?? []) if (ws.readyState === 1) ws.send(payload);
  },
  subscribers: () => subscribers.size,
  subscribeAll: (names) => {
    for (const ws of subscribers) for (const topic of names) join(ws, topic);
  },
  unsubscribeAll: (names) => {
    for (const ws of subscribers) for (const topic of names) leave(ws, topic);
  },
};
// FANOUT_DEFLATE=own: permessage-deflate, each send compressed for its socket (ws's only way).
const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: process.env.FANOUT_DEFLATE === 'own' });
server.on('connection', (ws, request) => {
  ws.on('error', () => {});
  if (request.url === '/control') {
    ws.on('message', async (text) => ws.send(JSON.stringify(await runControl(String(text), control))));
    return;
  }
  subscribers.add(ws);
  join(ws, 'bench');
  ws.on('close', () => {
    subscribers.delete(ws);
    for (const [topic] of topics) leave(ws, topic);
  });
});
server.on('listening', () => console.log('READY'));
process.on('SIGTERM', () => process.exit(0));
