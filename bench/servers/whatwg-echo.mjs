// An echo server on Node in one shape over the same framewire Session: the
// Session API itself, the WHATWG WebSocket wrapper (toWebSocket),
// WebSocketStream (toWebSocketStream), or the Web Streams floor (a plain
// ReadableStream piped to a WritableStream around the Session, no
// WebSocketStream code). Used by bench/lib/whatwg-bench.mjs.
//   node bench/servers/whatwg-echo.mjs --shape <shape> [--beside session|whatwg]
// --beside also starts two more echo servers in this process, whose ports
// follow BESIDE: plain Session servers, or a shape 'websocket' and a shape
// 'websocketstream' server (row (a): does WHATWG support, loaded and in use
// beside it, tax the Session path?). Run with `--import
// ./bench/servers/no-whatwg.mjs` for a process that never loads the WHATWG module.
// Prints `PORT <n>` (and `BESIDE <n> <m>`) then READY.
import { parseArgs } from 'node:util';
import { WebSocketServer, toWebSocket, toWebSocketStream } from '@framewire/node-adapter';

const { values } = parseArgs({ options: { shape: { type: 'string', default: 'session' }, beside: { type: 'string' } } });

const echo = (session) => session.on('message', (data, isBinary) => session.send(data, { binary: isBinary }));

const shapes = {
  session: echo,
  // The Session asked for what the WebSocket must deliver: a fresh ArrayBuffer per binary message.
  'session-arraybuffer': (session) => {
    session.binaryType = 'arraybuffer';
    echo(session);
  },
  // The floor of the 'blob' row: what Node's Blob costs, a Blob made per message beside the Session's echo.
  'session-blob': (session) => {
    session.on('message', (data, isBinary) => {
      if (isBinary) void new Blob([data]);
      session.send(data, { binary: isBinary });
    });
  },
  websocket: (session) => {
    const ws = toWebSocket(session);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => ws.send(event.data);
  },
  // The standard's default binaryType: every binary message arrives as a Blob.
  'websocket-blob': (session) => {
    const ws = toWebSocket(session);
    ws.onmessage = (event) => ws.send(event.data);
  },
  stream: async (session) => {
    const { readable, writable } = await toWebSocketStream(session).opened;
    await readable.pipeTo(writable).catch(() => {});
  },
  // The floor of the stream row: Node's own Web Streams carrying the same
  // messages from the Session's listener to its send, with none of our code between.
  'webstreams-floor': (session) => {
    let controller;
    const readable = new ReadableStream({ start: (c) => void (controller = c) }, { highWaterMark: 16 });
    session.on('message', (data) => controller.enqueue(data));
    void session.closed.then(() => controller.close());
    const writable = new WritableStream({ write: (chunk) => void session.send(chunk, { binary: typeof chunk !== 'string' }) });
    void readable.pipeTo(writable).catch(() => {});
  },
};
const serve = shapes[values.shape];
if (serve === undefined) {
  console.error(`--shape must be one of ${Object.keys(shapes).join(', ')}`);
  process.exit(2);
}
const servers = [new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })];
servers[0].on('connection', (session) => void serve(session));
const { port } = await servers[0].listen();
console.log(`PORT ${port}`);

if (values.beside === 'session' || values.beside === 'whatwg') {
  const besidePorts = [];
  for (const shape of values.beside === 'whatwg' ? ['websocket', 'websocketstream'] : ['session', 'session']) {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, ...(shape === 'session' ? {} : { shape }) });
    server.on('connection', async (connection) => {
      if (shape === 'session') echo(connection);
      else if (shape === 'websocket') connection.onmessage = (event) => connection.send(event.data);
      else {
        const { readable, writable } = await connection.opened;
        await readable.pipeTo(writable).catch(() => {});
      }
    });
    besidePorts.push((await server.listen()).port);
    servers.push(server);
  }
  console.log(`BESIDE ${besidePorts.join(' ')}`);
} else if (values.beside !== undefined) {
  console.error('--beside must be session or whatwg');
  process.exit(2);
}
console.log('READY');
process.on('SIGTERM', () => void Promise.all(servers.map((server) => server.close({ timeout: 200 }))).then(() => process.exit(0)));
