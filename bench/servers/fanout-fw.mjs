// framewire fan-out server (Node or Bun, picked by the runtime it runs on):
// every connection subscribes to "bench"; `server.publish` frames each
// message once for all of them. Path /control takes the commands of
// fanout-control.mjs.
// Usage: node --expose-gc bench/servers/fanout-fw.mjs --port N | bun bench/servers/fanout-fw.mjs --port N
import { runControl } from './fanout-control.mjs';

const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
const runtime = typeof Bun !== 'undefined' ? 'bun' : 'node';
const { WebSocketServer } = await import(new URL(`../../packages/${runtime}-adapter/dist/index.js`, import.meta.url).href);

const MiB = 1024 * 1024;
// Loopback subscribers read as fast as they can: the limit is only a safety net here.
// FANOUT_DEFLATE=shared: permessage-deflate without server context takeover,
// compressed once per publish; =own: with context takeover, each subscriber
// compresses for itself. Unset: no compression.
const deflate = process.env.FANOUT_DEFLATE;
const server = new WebSocketServer({
  host: '127.0.0.1',
  port,
  heartbeat: false,
  topicBackpressure: { limit: 64 * MiB, policy: 'close' },
  perMessageDeflate: deflate === 'shared' ? { serverNoContextTakeover: true } : deflate === 'own',
});
const publishOptions = { compress: deflate !== undefined };
const subscribers = new Set();
const control = {
  publish: (payload) => server.publish('bench', payload, publishOptions),
  subscribers: () => subscribers.size,
  subscribeAll: (topics) => {
    for (const ws of subscribers) for (const topic of topics) ws.subscribe(topic);
  },
  unsubscribeAll: (topics) => {
    for (const ws of subscribers) for (const topic of topics) ws.unsubscribe(topic);
  },
};
server.on('connection', (ws, request) => {
  ws.on('error', () => {});
  if (request.path === '/control') {
    ws.on('message', async (text) => ws.send(JSON.stringify(await runControl(text, control))));
    return;
  }
  subscribers.add(ws);
  ws.on('close', () => subscribers.delete(ws));
  ws.subscribe('bench');
});
await server.listen();
console.log('READY');
process.on('SIGTERM', () => process.exit(0));
