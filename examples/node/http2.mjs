import { createServer } from 'node:http2';
import { once } from 'node:events';
import { WebSocketServer, connect, http2StreamOf } from '@framewire/node-adapter';

// Cleartext h2c keeps the example short; browsers need TLS:
// createSecureServer({ key, cert, allowHTTP1: true, settings: { enableConnectProtocol: true } })
const h2 = createServer({ settings: { enableConnectProtocol: true } }); // RFC 8441 §3
const wss = new WebSocketServer({ server: h2 });
wss.on('connection', (ws, request) => {
  ws.on('message', (data) => ws.send(`${request.path} over ${ws.transportKind}: ${data}`));
});
h2.listen(0, '127.0.0.1');
await once(h2, 'listening');
const { port } = h2.address();

// Two WebSockets, one TCP connection: each is a stream of the same HTTP/2 session.
const a = await connect(`ws://127.0.0.1:${port}/a`, { http2: true });
const b = await connect(`ws://127.0.0.1:${port}/b`, { http2: true });
console.log('same connection:', http2StreamOf(a).session === http2StreamOf(b).session);
for (const ws of [a, b]) {
  ws.send('hello');
  for await (const message of ws) {
    console.log(message);
    ws.close(1000);
  }
}
await wss.close();
h2.close();
