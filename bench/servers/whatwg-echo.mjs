// An echo server on Node in one of three shapes over the same framewire
// Session: the Session API itself, the WHATWG WebSocket wrapper
// (toWebSocket) or WebSocketStream (toWebSocketStream). Used by
// bench/lib/whatwg-bench.mjs for the paired "no measurable cost" rows.
//   node bench/servers/whatwg-echo.mjs --shape session|session-arraybuffer|websocket|stream
// Prints `PORT <n>` then READY.
import { parseArgs } from 'node:util';
import { WebSocketServer, toWebSocket, toWebSocketStream } from '@framewire/node-adapter';

const { values } = parseArgs({ options: { shape: { type: 'string', default: 'session' } } });
const shapes = {
  session: (session) => session.on('message', (data, isBinary) => session.send(data, { binary: isBinary })),
  // The Session asked for what the WebSocket must deliver: a fresh ArrayBuffer per binary message.
  'session-arraybuffer': (session) => {
    session.binaryType = 'arraybuffer';
    session.on('message', (data, isBinary) => session.send(data, { binary: isBinary }));
  },
  websocket: (session) => {
    const ws = toWebSocket(session);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => ws.send(event.data);
  },
  stream: async (session) => {
    const { readable, writable } = await toWebSocketStream(session).opened;
    await readable.pipeTo(writable).catch(() => {});
  },
};
const serve = shapes[values.shape];
if (serve === undefined) {
  console.error(`--shape must be one of ${Object.keys(shapes).join(', ')}`);
  process.exit(2);
}
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('connection', (session) => void serve(session));
const { port } = await server.listen();
console.log(`PORT ${port}`);
console.log('READY');
process.on('SIGTERM', () => void server.close({ timeout: 200 }).then(() => process.exit(0)));
