// Bun's native fan-out: Bun.serve (uWebSockets inside), `ws.subscribe` and
// `server.publish`. Path /control takes the commands of fanout-control.mjs.
// Usage: bun bench/servers/fanout-bun.mjs --port N   (prints READY)
import { runControl } from './fanout-control.mjs';

const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
const subscribers = new Set();
let server;
const control = {
  publish: (payload) => server.publish('bench', payload),
  subscribers: () => subscribers.size,
  subscribeAll: (topics) => {
    for (const ws of subscribers) for (const topic of topics) ws.subscribe(topic);
  },
  unsubscribeAll: (topics) => {
    for (const ws of subscribers) for (const topic of topics) ws.unsubscribe(topic);
  },
};
server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  fetch(request, srv) {
    const control = new URL(request.url).pathname === '/control';
    if (srv.upgrade(request, { data: { control } })) return undefined;
    return new Response('Upgrade Required', { status: 426 });
  },
  websocket: {
    // Loopback subscribers read as fast as they can: no limit gets in the way.
    backpressureLimit: 64 * 1024 * 1024,
    closeOnBackpressureLimit: false,
    perMessageDeflate: false,
    open(ws) {
      if (ws.data.control) return;
      subscribers.add(ws);
      ws.subscribe('bench');
    },
    async message(ws, text) {
      if (ws.data.control) ws.send(JSON.stringify(await runControl(String(text), control)));
    },
    close(ws) {
      subscribers.delete(ws);
    },
  },
});
console.log('READY');
process.on('SIGTERM', () => process.exit(0));
